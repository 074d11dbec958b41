package io.edgemanifest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows every change written at the source until it shows at the destination — the replica
 * record ({@code replica/<dc>/kv/manifest/hosts/<id>}) holding the new value or gone, and the
 * replica service document ({@code replica/<dc>/services/<id>}) with the new status — and in the
 * Explorer (its event of the change's kind in {@code /api/events}).
 *
 * <p>Two poller threads whatever the backlog: the destination is read with read-only transactions
 * of 64 exact-prefix reads (cheap: no Raft, and a missing key does not fail them), the Explorer
 * with one events page per poll. Per-change blocking queries would need a connection per pending
 * change, and Consul allows 200 per client address — replicate's and the Explorer's own included.
 */
final class ChangeTracker implements AutoCloseable {

    /** Each change's times from its acknowledged write, in seconds; NaN while not seen. */
    static final class Seen {
        final SyntheticSource.Change change;
        volatile double record = Double.NaN;
        volatile double service = Double.NaN;
        volatile double explorer = Double.NaN;

        Seen(SyntheticSource.Change change) {
            this.change = change;
            if (change.kind().serviceStatus == null) {
                service = 0; // an update leaves the service as it is
            }
        }

        boolean replicated() {
            return !Double.isNaN(record) && !Double.isNaN(service);
        }

        /** The replication lag: until both the record and the service document were right. */
        double lag() {
            return replicated() ? Math.max(record, service) : Double.NaN;
        }
    }

    private static final Duration POLL = Duration.ofMillis(50);
    private final String destination;
    private final String token;
    private final String datacenter;
    private final String explorer;
    private final List<Seen> all = new ArrayList<>();
    private final Map<Integer, Seen> replicaPending = new ConcurrentHashMap<>();
    private final Map<Integer, Seen> explorerPending = new ConcurrentHashMap<>();
    private volatile boolean running = true;
    private final Thread replicaPoller;
    private final Thread explorerPoller;
    private volatile long lastSeq;

    ChangeTracker(String destination, String token, String datacenter, String explorer) {
        this.destination = destination;
        this.token = token;
        this.datacenter = datacenter;
        this.explorer = explorer;
        this.lastSeq = Http.get(explorer + "/api/events?limit=1").map(b -> b.path("lastSeq").asLong()).orElse(0L);
        replicaPoller = Thread.ofPlatform().daemon().name("replica-poller").start(this::pollReplica);
        explorerPoller = Thread.ofPlatform().daemon().name("explorer-poller").start(this::pollExplorer);
    }

    synchronized void track(SyntheticSource.Change change) {
        Seen seen = new Seen(change);
        all.add(seen);
        replicaPending.put(change.seq(), seen);
        explorerPending.put(change.seq(), seen);
    }

    /** Whether a change to this host is still on its way (a second one would blur which one was seen). */
    boolean inFlight(String id) {
        return replicaPending.values().stream().anyMatch(s -> s.change.id().equals(id))
                || explorerPending.values().stream().anyMatch(s -> s.change.id().equals(id));
    }

    int pending() {
        return Math.max(replicaPending.size(), explorerPending.size());
    }

    synchronized List<Seen> all() {
        return List.copyOf(all);
    }

    private String recordKey(String id) {
        return "replica/" + datacenter + "/kv/" + SyntheticSource.PREFIX + id;
    }

    private String serviceKey(String id) {
        return "replica/" + datacenter + "/services/" + id;
    }

    private void pollReplica() {
        while (running) {
            List<Seen> batch = new ArrayList<>(replicaPending.values());
            List<String> keys = new ArrayList<>();
            for (Seen s : batch) {
                if (Double.isNaN(s.record)) {
                    keys.add(recordKey(s.change.id()));
                }
                if (Double.isNaN(s.service)) {
                    keys.add(serviceKey(s.change.id()));
                }
            }
            Map<String, String> values = new HashMap<>();
            try {
                for (int from = 0; from < keys.size(); from += ConsulTxn.MAX_OPS) {
                    ConsulTxn txn = new ConsulTxn(destination, token);
                    keys.subList(from, Math.min(keys.size(), from + ConsulTxn.MAX_OPS)).forEach(txn::kvGetTree);
                    for (JsonNode result : txn.commit()) {
                        JsonNode kv = result.path("KV");
                        values.put(kv.path("Key").asText(), kv.path("Value").isNull() ? "" : kv.path("Value").asText(""));
                    }
                }
            } catch (RuntimeException e) {
                ScaleBench.pause(POLL); // the destination blinked: read again
                continue;
            }
            long now = System.nanoTime();
            for (Seen s : batch) {
                double at = (now - s.change.ackedNanos()) / 1e9;
                if (Double.isNaN(s.record)) {
                    String value = values.get(recordKey(s.change.id()));
                    if (s.change.record() == null ? value == null : s.change.record().equals(value)) {
                        s.record = at;
                    }
                }
                if (Double.isNaN(s.service)) {
                    String doc = values.get(serviceKey(s.change.id()));
                    if (doc != null && s.change.kind().serviceStatus.equals(status(doc))) {
                        s.service = at;
                    }
                }
                if (s.replicated()) {
                    replicaPending.remove(s.change.seq());
                }
            }
            ScaleBench.pause(POLL); // pacing of the poll, not synchronisation
        }
    }

    private static String status(String base64) {
        try {
            return Http.JSON.readTree(Base64.getDecoder().decode(base64)).path("status").asText();
        } catch (java.io.IOException | IllegalArgumentException e) {
            return "";
        }
    }

    private void pollExplorer() {
        while (running) {
            var page = Http.get(explorer + "/api/events?limit=1000&since="
                    + URLEncoder.encode(Long.toString(lastSeq), StandardCharsets.UTF_8));
            long now = System.nanoTime();
            if (page.isPresent()) {
                for (JsonNode event : page.get().path("items")) {
                    String id = event.path("deviceId").asText();
                    String type = event.path("type").asText();
                    // The oldest change of this host still waiting for this event: a host has one change in flight at a time.
                    explorerPending.values().stream()
                            .filter(s -> s.change.id().equals(id) && s.change.kind().explorerEvent.equals(type))
                            .min(java.util.Comparator.comparingInt(s -> s.change.seq()))
                            .ifPresent(s -> {
                                s.explorer = (now - s.change.ackedNanos()) / 1e9;
                                explorerPending.remove(s.change.seq());
                            });
                }
                lastSeq = page.get().path("lastSeq").asLong(lastSeq);
                if (page.get().path("items").size() >= 1000) {
                    continue; // more waiting: read on at once
                }
            }
            ScaleBench.pause(Duration.ofMillis(100)); // pacing of the poll, not synchronisation
        }
    }

    @Override
    public void close() {
        running = false;
        replicaPoller.interrupt();
        explorerPoller.interrupt();
    }
}
