package io.edgemanifest.explorer.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.presence.Backoff;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStore;
import java.math.BigInteger;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.QueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the replica in the Explorer's Consul with blocking queries and turns what changes into
 * device transitions in the store. Per source datacenter: its node records, its services, and its
 * replicate status. On start it loads what the store knows and reconciles once every datacenter
 * has been read: a device that left while the Explorer was down gets its OFFLINE, and nothing that
 * did not change gets an event.
 */
public final class ReplicaIngest implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReplicaIngest.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Map<String, String> KINDS = Map.of("hosts", "host", "gateways", "gateway", "stargates", "stargate");

    private final DeviceStore store;
    private final Consul consul;
    private final Clock clock;
    private final Object lock = new Object();
    private final Map<String, Device> known = new HashMap<>();
    private final Map<String, ReplicaView> views = new HashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong changesApplied = new AtomicLong();
    /** Devices whose change the store has not taken yet (it failed): retried with the next batch. */
    private final Set<String> pending = new HashSet<>();
    private volatile boolean running = true;
    /** A host notices a destroyed session within one TTL (15 s by default) and rewrites its record. */
    public static final Duration DEFAULT_RECORD_GRACE = Duration.ofSeconds(45);
    private final Duration recordGrace;
    /** replicate beats every 5 s; 30 s of silence is six missed beats. */
    public static final Duration DEFAULT_REPLICATE_SILENCE = Duration.ofSeconds(30);
    private final Duration replicateSilence;

    private final Map<String, Map<String, Object>> replicateStatus = new ConcurrentHashMap<>();
    private final io.micrometer.core.instrument.Timer lag;

    public ReplicaIngest(ConsulEndpoint endpoint, DeviceStore store, Clock clock,
                         io.micrometer.core.instrument.MeterRegistry metrics) {
        this(endpoint, store, clock, metrics, DEFAULT_RECORD_GRACE);
    }

    /**
     * @param recordGrace how long a device whose check passes may miss its record before it is
     *                    OFFLINE (see {@link ReplicaView#recordMissingSince})
     */
    public ReplicaIngest(ConsulEndpoint endpoint, DeviceStore store, Clock clock,
                         io.micrometer.core.instrument.MeterRegistry metrics, Duration recordGrace) {
        this(endpoint, store, clock, metrics, recordGrace, DEFAULT_REPLICATE_SILENCE);
    }

    /**
     * @param replicateSilence how long replicate's beat for a datacenter may stop before its devices
     *                         are UNKNOWN (every replicate instance dead: the replica froze)
     */
    public ReplicaIngest(ConsulEndpoint endpoint, DeviceStore store, Clock clock,
                         io.micrometer.core.instrument.MeterRegistry metrics, Duration recordGrace,
                         Duration replicateSilence) {
        this(endpoint, store, clock, metrics, recordGrace, replicateSilence, DEFAULT_AGENT_DOWN_GRACE);
    }

    /** A host whose agent died moves to another agent within --migrate-after (30 s by default). */
    public static final Duration DEFAULT_AGENT_DOWN_GRACE = Duration.ofSeconds(60);
    private final Duration agentDownGrace;

    /**
     * @param agentDownGrace how long a host replicated as {@code agent-down} (its Consul agent died,
     *                       its own check unknown) is UNKNOWN before it is OFFLINE
     */
    public ReplicaIngest(ConsulEndpoint endpoint, DeviceStore store, Clock clock,
                         io.micrometer.core.instrument.MeterRegistry metrics, Duration recordGrace,
                         Duration replicateSilence, Duration agentDownGrace) {
        if (agentDownGrace.isNegative() || agentDownGrace.isZero()) {
            throw new IllegalArgumentException("invalid agent-down grace " + agentDownGrace);
        }
        this.agentDownGrace = agentDownGrace;
        if (recordGrace.isNegative()) {
            throw new IllegalArgumentException("invalid record grace " + recordGrace);
        }
        if (replicateSilence.compareTo(Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("invalid replicate silence " + replicateSilence + " (at least 2s)");
        }
        this.recordGrace = recordGrace;
        this.replicateSilence = replicateSilence;
        this.lag = io.micrometer.core.instrument.Timer.builder("explorer_ingest_lag")
                .description("from a replica answer to its changes committed in the store")
                .publishPercentileHistogram().register(metrics);
        this.store = Objects.requireNonNull(store, "store");
        this.consul = endpoint.watchClient(WAIT);
        this.clock = clock;
    }

    public ReplicaIngest start() {
        synchronized (lock) {
            store.all().forEach(d -> known.put(d.id(), d));
        }
        log.info("ingest: {} devices known from the store", known.size());
        watch("replicate/status/", this::onStatus);
        // Answers drive every transition but one: a grace running out. Look for those each second.
        threads.add(Thread.ofVirtual().name("ingest-record-grace").start(this::expireGraces));
        return this;
    }

    /** Changes written to the store so far. */
    public long changesApplied() {
        return changesApplied.get();
    }

    /** replicate's last status document per source datacenter (state, lagMillis, lastSyncAt, ...). */
    public Map<String, Map<String, Object>> replicateStatus() {
        return Map.copyOf(replicateStatus);
    }

    /** Source datacenters seen in the replica, with whether replicate reaches them. */
    public Map<String, Boolean> datacenters() {
        synchronized (lock) {
            Map<String, Boolean> result = new HashMap<>();
            views.forEach((dc, v) -> result.put(dc, !v.unreachable));
            return result;
        }
    }

    private void watch(String prefix, Consumer<List<Value>> onAnswer) {
        if (!watched.add(prefix)) {
            return;
        }
        threads.add(Thread.ofVirtual().name("ingest-" + prefix).start(() -> {
            Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10));
            BigInteger index = BigInteger.ZERO;
            boolean refused = false;
            while (running) {
                try {
                    QueryOptions options = index.signum() == 0 ? QueryOptions.BLANK
                            : QueryOptions.blockSeconds((int) WAIT.toSeconds(), index).build();
                    ConsulResponse<List<Value>> response = consul.keyValueClient().getConsulResponseWithValues(prefix, options);
                    BigInteger next = response.getIndex() == null ? BigInteger.ZERO : response.getIndex();
                    if (index.signum() > 0 && next.equals(index)) {
                        continue;
                    }
                    index = next.compareTo(index) < 0 ? BigInteger.ZERO : next;
                    onAnswer.accept(response.getResponse() == null ? List.of() : response.getResponse());
                    backoff.reset();
                } catch (Exception e) {
                    if (!running) {
                        return;
                    }
                    // The Consul that failed may come back empty (restarted without its data): an old
                    // index would make the next query wait for the whole WAIT instead of answering at once.
                    index = BigInteger.ZERO;
                    // ... and what the other watches read next may be that empty Consul: no verdicts until
                    // replicate's status has been read again from it.
                    untilStatusReadAgain();
                    if (io.edgemanifest.core.consul.ConsulErrors.isPermissionDenied(e)) {
                        // Not an outage: the token lost its read on the replica. Say it once, keep retrying.
                        if (!refused) {
                            log.warn("ingest: Consul refuses the Explorer's token on {} ({}): retrying with back-off",
                                    prefix, io.edgemanifest.core.Errors.rootMessage(e));
                        }
                        refused = true;
                    } else {
                        log.debug("ingest watch {} failed: {}", prefix, e.toString());
                    }
                    pause(backoff.next());
                    continue;
                }
                if (refused) {
                    log.info("ingest: Consul accepts the Explorer's token on {} again", prefix);
                    refused = false;
                }
            }
        }));
    }

    /** The Explorer's Consul failed: every datacenter is syncing until the status watch answers again. */
    private void untilStatusReadAgain() {
        synchronized (lock) {
            views.values().forEach(view -> view.syncing = true);
        }
    }

    private void onStatus(List<Value> values) {
        Set<String> affectedDcs = new HashSet<>();
        Set<String> caughtUp = new HashSet<>();
        synchronized (lock) {
            Set<String> present = new HashSet<>();
            for (Value value : values) {
                present.add(value.getKey().substring("replicate/status/".length()));
            }
            for (ReplicaView view : views.values()) {
                if (!present.contains(view.datacenter) && !view.syncing) {
                    // Its status vanished (the Explorer's Consul lost its data): replicate is rebuilding
                    // the replica there, and a half-rebuilt replica is not the truth.
                    view.syncing = true;
                    log.info("ingest: replicate's status for {} vanished: nothing there goes offline until it is ok",
                            view.datacenter);
                }
            }
            for (Value value : values) {
                String dc = value.getKey().substring("replicate/status/".length());
                if (dc.isEmpty() || dc.contains("/")) {
                    continue;
                }
                boolean reported = value.getValueAsString().map(ReplicaIngest::stateOf).map("unreachable"::equals).orElse(false);
                String beat = value.getValueAsString().map(ReplicaIngest::beatOf).orElse(null);
                value.getValueAsString().ifPresent(json -> {
                    try {
                        replicateStatus.put(dc, JSON.readValue(json, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }));
                    } catch (Exception e) {
                        log.warn("ingest: replicate status of {} is not JSON, ignoring it", dc);
                    }
                });
                ReplicaView view = views.computeIfAbsent(dc, ReplicaView::new);
                view.reportedUnreachable = reported;
                String state = value.getValueAsString().map(ReplicaIngest::stateOf).orElse("");
                boolean syncing = !reported && !"ok".equals(state);
                if (view.syncing != syncing) {
                    view.syncing = syncing;
                    affectedDcs.add(dc); // ok again: conclude what was held back
                    if (!syncing) {
                        caughtUp.add(dc);
                    }
                    log.info("ingest: replicate reports {} for {}{}", state.isEmpty() ? "no state" : state, dc,
                            syncing ? ": nothing there goes offline until it is ok" : "");
                }
                if (beat != null && !beat.equals(view.lastBeat)) {
                    // Compared for change, timed by our own clock: replicate's clock may be skewed.
                    view.lastBeat = beat;
                    view.lastBeatNanos = System.nanoTime();
                    if (view.stale) {
                        log.info("ingest: replicate beats for {} again", dc);
                    }
                    view.stale = false;
                }
                boolean unreachable = view.reportedUnreachable || view.stale;
                if (view.unreachable != unreachable) {
                    view.unreachable = unreachable;
                    affectedDcs.add(dc);
                    log.info("ingest: datacenter {} is {}", dc, unreachable ? "unreachable" : "reachable");
                }
            }
        }
        for (String dc : Set.copyOf(views.keySet())) {
            watch("replica/" + dc + "/kv/manifest/", answer -> onRecords(dc, answer));
            watch("replica/" + dc + "/services/", answer -> onServices(dc, answer));
        }
        for (String dc : caughtUp) {
            rereadReplica(dc);
        }
        affectedDcs.forEach(this::recomputeDatacenter);
    }

    /**
     * A datacenter whose status just turned {@code ok}: its replica is read again now, before any
     * verdict. replicate writes {@code ok} after the entries, but our watches of the entries answer
     * on their own time — concluding from what they last delivered (a replica still being rebuilt)
     * made OFFLINE storms after the Explorer's Consul restarted empty.
     */
    private void rereadReplica(String dc) {
        try {
            List<Value> records = consul.keyValueClient().getValues("replica/" + dc + "/kv/manifest/");
            List<Value> services = consul.keyValueClient().getValues("replica/" + dc + "/services/");
            onRecords(dc, records);
            onServices(dc, services);
        } catch (RuntimeException e) {
            // No verdict from what may be stale: syncing until the next status answer (a beat within 5 s).
            synchronized (lock) {
                ReplicaView view = views.get(dc);
                if (view != null) {
                    view.syncing = true;
                }
            }
            log.warn("ingest: cannot read the replica of {} again ({}): no verdicts there until the next status",
                    dc, io.edgemanifest.core.Errors.rootMessage(e));
        }
    }

    private static String beatOf(String json) {
        try {
            JsonNode beat = JSON.readTree(json).path("beat");
            return beat.isTextual() ? beat.asText() : null; // an older replicate writes none: never stale
        } catch (Exception e) {
            return null;
        }
    }

    private static String stateOf(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return node.path("state").asText("");
        } catch (Exception e) {
            return "";
        }
    }

    private void onRecords(String dc, List<Value> values) {
        String prefix = "replica/" + dc + "/kv/manifest/";
        Map<String, ReplicaView.RecordEntry> now = new HashMap<>();
        for (Value value : values) {
            String rest = value.getKey().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                continue;
            }
            String kind = KINDS.get(rest.substring(0, slash));
            String id = rest.substring(slash + 1);
            if (kind == null || id.isEmpty() || id.contains("/")) {
                continue; // operator config and anything else that is not a node record
            }
            String json = value.getValueAsString().orElse("");
            now.put(id, new ReplicaView.RecordEntry(kind, json));
        }
        Set<String> affected = new HashSet<>();
        boolean firstRead;
        synchronized (lock) {
            ReplicaView view = views.computeIfAbsent(dc, ReplicaView::new);
            firstRead = !view.recordsRead;
            diff(view.records, now, affected);
            view.records.clear();
            view.records.putAll(now);
            view.recordsRead = true;
            view.trackMissingRecords(clock.instant());
        }
        if (firstRead) {
            recomputeDatacenter(dc);
        } else {
            recompute(affected);
        }
    }

    private void onServices(String dc, List<Value> values) {
        String prefix = "replica/" + dc + "/services/";
        Map<String, String> now = new HashMap<>();
        for (Value value : values) {
            String id = value.getKey().substring(prefix.length());
            now.put(id, value.getValueAsString().map(ReplicaIngest::statusOf).orElse("critical"));
        }
        Set<String> affected = new HashSet<>();
        boolean firstRead;
        synchronized (lock) {
            ReplicaView view = views.computeIfAbsent(dc, ReplicaView::new);
            firstRead = !view.servicesRead;
            diff(view.serviceStatus, now, affected);
            view.serviceStatus.clear();
            view.serviceStatus.putAll(now);
            view.servicesRead = true;
            view.trackMissingRecords(clock.instant());
        }
        if (firstRead) {
            recomputeDatacenter(dc);
        } else {
            recompute(affected);
        }
    }

    private static String statusOf(String json) {
        try {
            return JSON.readTree(json).path("status").asText("critical");
        } catch (Exception e) {
            return "critical";
        }
    }

    private static <V> void diff(Map<String, V> before, Map<String, V> after, Set<String> affected) {
        before.forEach((k, v) -> {
            if (!Objects.equals(v, after.get(k))) {
                affected.add(k);
            }
        });
        after.forEach((k, v) -> {
            if (!before.containsKey(k)) {
                affected.add(k);
            }
        });
    }

    /** Everything we know in, or that the replica shows in, one datacenter. */
    private void recomputeDatacenter(String dc) {
        Set<String> ids = new HashSet<>();
        synchronized (lock) {
            known.values().stream().filter(d -> dc.equals(d.datacenter())).forEach(d -> ids.add(d.id()));
            ReplicaView view = views.get(dc);
            if (view != null) {
                ids.addAll(view.records.keySet());
            }
        }
        recompute(ids);
    }

    private void recompute(Set<String> ids) {
        long started = System.nanoTime();
        synchronized (lock) {
            pending.addAll(ids);
            if (pending.isEmpty()) {
                return;
            }
            List<Change> changes = new ArrayList<>();
            var now = clock.instant();
            for (String id : pending) {
                DeviceStateMachine.next(id, known.get(id), views.values(), now, recordGrace, agentDownGrace).ifPresent(change -> {
                    changes.add(change);
                    if (change.device().parseError() != null) {
                        log.warn("ingest: record of {} in {} is malformed: {}", id, change.device().datacenter(),
                                change.device().parseError());
                    }
                });
            }
            for (int from = 0; from < changes.size(); from += 500) {
                List<Change> batch = changes.subList(from, Math.min(changes.size(), from + 500));
                store.apply(batch); // throws: the rest stays pending and is retried with the next answer
                batch.forEach(c -> {
                    known.put(c.device().id(), c.device());
                    pending.remove(c.device().id());
                });
                changesApplied.addAndGet(batch.size());
            }
            pending.clear();
            if (!changes.isEmpty()) {
                lag.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            log.debug("ingest: {} changes", changes.size());
        }
    }

    private void expireGraces() {
        while (running) {
            pause(Duration.ofSeconds(1));
            Set<String> silent = new HashSet<>();
            synchronized (lock) {
                long now = System.nanoTime();
                for (ReplicaView view : views.values()) {
                    if (view.lastBeat != null && !view.stale && now - view.lastBeatNanos > replicateSilence.toNanos()) {
                        view.stale = true;
                        if (!view.unreachable) {
                            view.unreachable = true;
                            silent.add(view.datacenter);
                        }
                        log.warn("ingest: no beat from replicate for {} in {} s: its devices are unknown until it beats again",
                                view.datacenter, replicateSilence.toSeconds());
                    }
                }
            }
            for (String dc : silent) {
                try {
                    recomputeDatacenter(dc);
                } catch (RuntimeException e) {
                    log.warn("ingest: store refused the unknown state of {} (retried with the next answer)", dc, e);
                }
            }
            Set<String> due = new HashSet<>();
            synchronized (lock) {
                var now = clock.instant();
                for (ReplicaView view : views.values()) {
                    view.recordMissingSince.forEach((id, since) -> {
                        Device device = known.get(id);
                        if (!now.isBefore(since.plus(recordGrace)) && device != null
                                && device.status() != io.edgemanifest.explorer.store.DeviceStatus.OFFLINE) {
                            due.add(id);
                        }
                    });
                    view.agentDownSince.forEach((id, since) -> {
                        Device device = known.get(id);
                        if (!now.isBefore(since.plus(agentDownGrace)) && device != null
                                && device.status() != io.edgemanifest.explorer.store.DeviceStatus.OFFLINE) {
                            due.add(id);
                        }
                    });
                }
            }
            if (!due.isEmpty()) {
                try {
                    recompute(due);
                } catch (RuntimeException e) {
                    log.warn("ingest: store refused the end of a record grace (retried next second)", e);
                }
            }
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // retry pacing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        consul.destroy();
    }
}
