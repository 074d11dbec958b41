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
    /**
     * Changes decided but not yet committed, oldest first. {@link #known} runs ahead of the store:
     * a change is decided once, queued here with its own time, and written in order — a store that
     * refuses a batch (down, restarting) delays it, never drops it (#12 item 10).
     */
    private final StoreWriter outbox;
    private final RateLimitedWarn warn = new RateLimitedWarn(log, Duration.ofMinutes(1));
    /** Bad keys and names already reported (each is read again with every answer). */
    private final Set<String> reportedBadKeys = ConcurrentHashMap.newKeySet();
    /** Start of this ingest's observation period in the store (null until recorded). */
    private volatile Long observation;
    private volatile boolean running = true;
    /**
     * An answer that takes away every device a datacenter had, or more than half and at least
     * {@link #MASS_LOSS_MIN} of them, is applied only after a consistent re-read this much later
     * agrees (an empty or rebuilt replica must not make an OFFLINE storm, #12 item 7); the
     * re-read's content is what gets applied. replicate guards its writes the same way.
     */
    public static final Duration CONFIRM_DELAY = Duration.ofSeconds(3);
    static final int MASS_LOSS_MIN = 5;
    /** How often ingest extends its observation period in the store (a crash loses at most this much). */
    static final Duration OBSERVATION_BEAT = Duration.ofSeconds(5);
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
        this.outbox = new StoreWriter(store, warn, device -> known.put(device.id(), device));
        this.consul = endpoint.watchClient(WAIT);
        this.clock = clock;
    }

    public ReplicaIngest start() {
        synchronized (lock) {
            store.all().forEach(d -> known.put(d.id(), d));
        }
        log.info("ingest: {} devices known from the store", known.size());
        // From here on the Explorer observes: time outside every observation period (the Explorer
        // down) is "no data" in availability, not credited to a device's last state (#12 item 8).
        observation = store.beginObservation(clock.instant());
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
        // Not under the ingest lock: that is held while batches are written (seconds when the
        // store is slow or down), and the API must answer meanwhile.
        return Map.copyOf(reachability);
    }

    /**
     * Datacenters whose replicate beat stopped for --replicate-silence (the API's {@code problem:
     * "silent"}: replicate itself is gone, as opposed to replicate reporting a source unreachable).
     */
    public java.util.Set<String> silentDatacenters() {
        return java.util.Set.copyOf(silentDatacenters);
    }

    private final java.util.Set<String> silentDatacenters = ConcurrentHashMap.newKeySet();

    /** Datacenter -> reachable, as last decided (a copy of the views' flags the API may read at any time). */
    private final Map<String, Boolean> reachability = new ConcurrentHashMap<>();

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
                    onAnswer.accept(response.getResponse() == null ? List.of() : response.getResponse());
                    // Only once applied: an answer whose handling failed (a guarded re-read that did
                    // not answer) is asked for again instead of waiting for the next change.
                    index = next.compareTo(index) < 0 ? BigInteger.ZERO : next;
                    backoff.reset();
                    if (warn.clear("watch:" + prefix)) {
                        log.info("ingest: watch of {} answers again", prefix);
                    }
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
                        warn.warn("watch:" + prefix, "ingest: watch of {} failed, retrying with back-off: {}", prefix,
                                io.edgemanifest.core.Errors.rootMessage(e));
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
                if (!InboundLimits.validDatacenter(dc)) {
                    // It would become part of watched key prefixes, stored rows and the UI.
                    reportBadKey(value.getKey(), "ingest: ignoring replicate status {}: not a datacenter name", value.getKey());
                    continue;
                }
                String state = value.getValueAsString().map(ReplicaIngest::stateOf).orElse("");
                boolean reported = "unreachable".equals(state);
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
                // syncing (or any state we do not know): no OFFLINE concluded there until it is ok
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
                    if (view.lastBeat == null) {
                        view.awaitingBeat = true; // first sight: how old this beat is, we cannot tell
                    } else if (view.awaitingBeat) {
                        view.awaitingBeat = false;
                        affectedDcs.add(dc); // replicate is alive: conclude what was held back
                    }
                    view.lastBeat = beat;
                    view.lastBeatNanos = System.nanoTime();
                    if (view.stale) {
                        log.info("ingest: replicate beats for {} again", dc);
                    }
                    view.stale = false;
                    silentDatacenters.remove(dc);
                }
                boolean unreachable = view.reportedUnreachable || view.stale;
                reachability.put(dc, !unreachable);
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
        Map<String, ReplicaView.RecordEntry> now = records(prefix, values);
        Set<String> before;
        synchronized (lock) {
            ReplicaView view = views.computeIfAbsent(dc, ReplicaView::new);
            before = view.recordsRead ? Set.copyOf(view.records.keySet()) : onlineKnownIn(dc);
        }
        if (massLoss(before, now.keySet())) {
            now = records(prefix, confirm(dc, "records", prefix, before.size(), now.size()));
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
            view.trackMissingRecords(System.nanoTime());
        }
        if (firstRead) {
            recomputeDatacenter(dc);
        } else {
            recompute(affected);
        }
    }

    /** The node records of one answer, every key and value checked (the records' owners are untrusted). */
    private Map<String, ReplicaView.RecordEntry> records(String prefix, List<Value> values) {
        Map<String, ReplicaView.RecordEntry> now = new HashMap<>();
        for (Value value : values) {
            String rest = value.getKey().substring(prefix.length());
            int slash = rest.indexOf('/');
            if (slash < 0) {
                reportBadKey(value.getKey(), "ingest: ignoring {}: not a node record key (manifest/<kind>s/<id>)",
                        InboundLimits.forLog(value.getKey()));
                continue;
            }
            String folder = rest.substring(0, slash);
            String kind = KINDS.get(folder);
            String id = rest.substring(slash + 1);
            if (kind == null) {
                if (!"config".equals(folder)) { // operator config lives beside the records
                    reportBadKey(value.getKey(), "ingest: ignoring {}: not a node record key (manifest/<kind>s/<id>)",
                            InboundLimits.forLog(value.getKey()));
                }
                continue;
            }
            if (!InboundLimits.validId(id)) {
                reportBadKey(value.getKey(), "ingest: ignoring {}: '{}' is not a node ID (letters, digits, '.', '_', ':', '-'; at most {})",
                        InboundLimits.forLog(value.getKey()), InboundLimits.forLog(id), InboundLimits.MAX_ID);
                continue;
            }
            now.put(id, entry(kind, value));
        }
        return now;
    }

    private static ReplicaView.RecordEntry entry(String kind, Value value) {
        byte[] bytes;
        try {
            bytes = value.getValue().map(v -> java.util.Base64.getDecoder().decode(v)).orElse(new byte[0]);
        } catch (IllegalArgumentException e) {
            return new ReplicaView.RecordEntry(kind, "", "unreadable record: not base64 in the replica");
        }
        if (bytes.length > InboundLimits.MAX_RECORD_BYTES) {
            // Not even parsed: a node may write at most 64 KiB, and we would store it per device.
            return new ReplicaView.RecordEntry(kind, "", "record of " + bytes.length + " bytes is larger than "
                    + InboundLimits.MAX_RECORD_BYTES + " (not stored)");
        }
        try {
            String json = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return new ReplicaView.RecordEntry(kind, json, null);
        } catch (java.nio.charset.CharacterCodingException e) {
            return new ReplicaView.RecordEntry(kind, "", "unreadable record: not valid UTF-8");
        }
    }

    /** Logs a bad key or name once (it comes back with every answer), at WARN. */
    private void reportBadKey(String key, String format, Object... args) {
        if (reportedBadKeys.size() < 10_000 && reportedBadKeys.add(key)) {
            log.warn(format, args);
        } else {
            log.debug(format, args);
        }
    }

    /** Devices the store has ONLINE in {@code dc}: what a first answer is compared with. */
    private Set<String> onlineKnownIn(String dc) {
        Set<String> ids = new HashSet<>();
        known.values().forEach(d -> {
            if (dc.equals(d.datacenter()) && d.status() == io.edgemanifest.explorer.store.DeviceStatus.ONLINE) {
                ids.add(d.id());
            }
        });
        return ids;
    }

    /** Every entry lost, or more than half of them and at least {@link #MASS_LOSS_MIN}. */
    static boolean massLoss(Set<String> before, Set<String> after) {
        if (before.isEmpty()) {
            return false;
        }
        long lost = before.stream().filter(id -> !after.contains(id)).count();
        return lost == before.size() || (lost * 2 > before.size() && lost >= MASS_LOSS_MIN);
    }

    /**
     * Waits {@link #CONFIRM_DELAY} and reads {@code prefix} again, consistently: that answer is
     * applied, whatever it says. A re-read that fails throws, and the watch asks again.
     */
    private List<Value> confirm(String dc, String what, String prefix, int had, int has) {
        log.warn("ingest: {} of {} fell from {} to {} at once: confirming with a re-read in {} ms before anything goes offline",
                what, dc, had, has, CONFIRM_DELAY.toMillis());
        pause(CONFIRM_DELAY);
        if (!running) {
            throw new IllegalStateException("closing");
        }
        List<Value> again = consul.keyValueClient().getConsulResponseWithValues(prefix, ImmutableQueryOptions.builder()
                .consistencyMode(org.kiwiproject.consul.option.ConsistencyMode.CONSISTENT).build()).getResponse();
        again = again == null ? List.of() : again;
        log.info("ingest: re-read of {} of {} has {} entries: applying it", what, dc, again.size());
        return again;
    }

    private void onServices(String dc, List<Value> values) {
        String prefix = "replica/" + dc + "/services/";
        Map<String, String> now = services(prefix, values);
        Set<String> before;
        synchronized (lock) {
            ReplicaView view = views.computeIfAbsent(dc, ReplicaView::new);
            before = view.servicesRead ? passing(view.serviceStatus) : onlineKnownIn(dc);
        }
        if (massLoss(before, passing(now))) {
            now = services(prefix, confirm(dc, "passing services", prefix, before.size(), passing(now).size()));
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
            view.trackMissingRecords(System.nanoTime());
        }
        if (firstRead) {
            recomputeDatacenter(dc);
        } else {
            recompute(affected);
        }
    }

    private Map<String, String> services(String prefix, List<Value> values) {
        Map<String, String> now = new HashMap<>();
        for (Value value : values) {
            String id = value.getKey().substring(prefix.length());
            if (!InboundLimits.validId(id)) {
                reportBadKey(value.getKey(), "ingest: ignoring service {}: not a node ID", InboundLimits.forLog(value.getKey()));
                continue;
            }
            now.put(id, value.getValueAsString().map(ReplicaIngest::statusOf).orElse("critical"));
        }
        return now;
    }

    private static Set<String> passing(Map<String, String> status) {
        Set<String> ids = new HashSet<>();
        status.forEach((id, st) -> {
            if ("passing".equals(st)) {
                ids.add(id);
            }
        });
        return ids;
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

    /**
     * Decides the changes of {@code ids} against what we know (in memory, ahead of the store),
     * queues them, and writes the queue. Never throws for the store: what it refuses stays queued.
     */
    private void recompute(Set<String> ids) {
        long started = System.nanoTime();
        synchronized (lock) {
            var now = clock.instant();
            long nowNanos = System.nanoTime();
            int decided = 0;
            for (String id : ids) {
                var change = DeviceStateMachine.next(id, known.get(id), views.values(), now, nowNanos, recordGrace, agentDownGrace);
                if (change.isPresent()) {
                    Change c = change.get();
                    if (c.device().parseError() != null && (known.get(id) == null
                            || !Objects.equals(known.get(id).parseError(), c.device().parseError()))) {
                        warn.warn("record:" + id, "ingest: record of {} in {} is malformed: {}", id, c.device().datacenter(),
                                InboundLimits.forLog(c.device().parseError()));
                    }
                    known.put(id, c.device());
                    outbox.add(c);
                    decided++;
                }
            }
            if (outbox.flush(changesApplied::addAndGet) && decided > 0) {
                lag.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
            resyncIfRecovered();
            log.debug("ingest: {} changes decided, {} waiting for the store", decided, outbox.size());
        }
    }

    /**
     * After an outage, what we remember and what the store holds may differ: a database that
     * crashed can come back without its last commits (measured: an H2 server killed within its
     * write delay). Read the store again and decide every device against it, so nothing it lost
     * stays lost. Called under the lock.
     */
    private void resyncIfRecovered() {
        if (!outbox.takeRecovered()) {
            return;
        }
        try {
            Map<String, Device> stored = new HashMap<>();
            store.all().forEach(d -> stored.put(d.id(), d));
            Set<String> ids = new HashSet<>(known.keySet());
            views.values().forEach(v -> ids.addAll(v.records.keySet()));
            long differ = ids.stream().filter(id -> known.get(id) != null && (stored.get(id) == null
                    || stored.get(id).status() != known.get(id).status())).count();
            known.clear();
            known.putAll(stored);
            if (differ > 0) {
                log.warn("ingest: the store came back without {} of the {} devices' latest state: deciding them again", differ, ids.size());
            }
            var now = clock.instant();
            long nowNanos = System.nanoTime();
            for (String id : ids) {
                DeviceStateMachine.next(id, known.get(id), views.values(), now, nowNanos, recordGrace, agentDownGrace).ifPresent(c -> {
                    known.put(id, c.device());
                    outbox.add(c);
                });
            }
            outbox.flush(changesApplied::addAndGet);
        } catch (RuntimeException e) {
            log.warn("ingest: re-reading the store after its outage failed: {}", e.toString());
        }
    }

    private long lastObservationBeat = System.nanoTime();

    /** Changes decided but not yet in the store (it refused them for now). */
    public int queuedChanges() {
        synchronized (lock) {
            return outbox.size();
        }
    }

    private void expireGraces() {
        while (running) {
            pause(Duration.ofSeconds(1));
            try {
                tick();
            } catch (RuntimeException e) {
                log.warn("ingest: periodic check failed", e); // never ends the ticker
            }
        }
    }

    private void tick() {
        Set<String> silent = new HashSet<>();
        synchronized (lock) {
            long now = System.nanoTime();
            for (ReplicaView view : views.values()) {
                if (view.lastBeat != null && !view.stale && now - view.lastBeatNanos > replicateSilence.toNanos()) {
                    view.stale = true;
                    reachability.put(view.datacenter, false);
                    silentDatacenters.add(view.datacenter);
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
            recomputeDatacenter(dc); // a store that refuses it keeps the change queued
        }
        synchronized (lock) {
            outbox.flush(changesApplied::addAndGet); // queued changes, once the store's back-off is over
            resyncIfRecovered();
        }
        Long period = observation;
        if (period != null && System.nanoTime() - lastObservationBeat >= OBSERVATION_BEAT.toNanos()) {
            try {
                store.extendObservation(period, clock.instant());
                lastObservationBeat = System.nanoTime();
            } catch (RuntimeException e) {
                log.debug("ingest: observation period not extended: {}", e.toString());
            }
        }
        Set<String> due = new HashSet<>();
        synchronized (lock) {
            long now = System.nanoTime();
            for (ReplicaView view : views.values()) {
                // ONLINE or UNKNOWN (back from agent-down, its record being rewritten): not OFFLINE yet
                view.recordMissingSince.forEach((id, since) -> {
                    Device device = known.get(id);
                    if (now - since >= recordGrace.toNanos() && device != null
                            && device.status() != io.edgemanifest.explorer.store.DeviceStatus.OFFLINE) {
                        due.add(id);
                    }
                });
                view.agentDownSince.forEach((id, since) -> {
                    Device device = known.get(id);
                    if (now - since >= agentDownGrace.toNanos() && device != null
                            && device.status() != io.edgemanifest.explorer.store.DeviceStatus.OFFLINE) {
                        due.add(id);
                    }
                });
            }
        }
        if (!due.isEmpty()) {
            recompute(due);
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
        Long period = observation;
        if (period != null && running) {
            try {
                store.extendObservation(period, clock.instant()); // a clean stop observed up to now
            } catch (RuntimeException e) {
                log.debug("ingest: observation period not closed: {}", e.toString());
            }
        }
        running = false;
        threads.forEach(Thread::interrupt);
        consul.destroy();
    }
}
