package io.edgemanifest.bench;

import io.edgemanifest.core.node.Hardware;
import io.edgemanifest.core.node.Location;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * A Stargate datacenter's hosts written straight into its Consul, without a process per host: each
 * host a service named by its ID and tagged {@code host} with a check, on one of a few catalog
 * nodes, and its record at {@code manifest/hosts/<id>} as host-agent writes it. Then the changes a
 * live network makes — a host dies (check critical, record deleted: what its expired session does),
 * comes back (check passing, record written), or updates its record — each one transaction.
 *
 * <p>The catalog nodes have no {@code serfHealth} check on purpose: Consul's leader reaps every
 * node with one that is not a Serf member (reconcile), and replicate counts a node without one as
 * alive.
 */
final class SyntheticSource {

    /** What one change should look like once it has gone through: at the destination and in the Explorer. */
    enum Kind {
        DIE("critical", "OFFLINE"), RETURN("passing", "ONLINE"), UPDATE(null, "UPDATED");

        final String serviceStatus;
        final String explorerEvent;

        Kind(String serviceStatus, String explorerEvent) {
            this.serviceStatus = serviceStatus;
            this.explorerEvent = explorerEvent;
        }
    }

    /**
     * A change written at the source.
     *
     * @param record the record's base64 value after the change, null when the change deletes it
     * @param ackedNanos when Consul acknowledged the write ({@link System#nanoTime()})
     */
    record Change(int seq, String id, Kind kind, String record, long ackedNanos) {
    }

    static final String PREFIX = "manifest/hosts/";
    private static final String GATEWAY = "gateway-" + UUID.nameUUIDFromBytes("bench".getBytes(StandardCharsets.UTF_8));
    private static final Hardware HARDWARE = new Hardware(4, 8L << 30, "amd64", "linux");

    private final String consul;
    private final String token;
    private final String datacenter;
    private final int nodes;
    private final List<String> ids = new ArrayList<>();
    private final int[] revision;
    private final boolean[] alive;

    SyntheticSource(String consul, String token, String datacenter, int hosts, int nodes) {
        this.consul = consul;
        this.token = token;
        this.datacenter = datacenter;
        this.nodes = nodes;
        for (int i = 0; i < hosts; i++) {
            ids.add("host-" + UUID.randomUUID());
        }
        this.revision = new int[hosts];
        this.alive = new boolean[hosts];
    }

    int size() {
        return ids.size();
    }

    String id(int index) {
        return ids.get(index);
    }

    boolean alive(int index) {
        return alive[index];
    }

    private String node(int index) {
        return "bench-node-" + (index % nodes);
    }

    /** Writes every host, {@code parallel} transactions at a time; returns the seconds it took. */
    double generate(int parallel) throws Exception {
        long started = System.nanoTime();
        for (int from = 0; from < nodes; from += ConsulTxn.MAX_OPS) {
            ConsulTxn txn = new ConsulTxn(consul, token);
            for (int n = from; n < Math.min(nodes, from + ConsulTxn.MAX_OPS); n++) {
                txn.node("bench-node-" + n, "10." + ((n >> 16) & 255) + "." + ((n >> 8) & 255) + "." + (n & 255));
            }
            txn.commit();
        }
        int perTxn = ConsulTxn.MAX_OPS / 3;
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int from = 0; from < ids.size(); from += perTxn) {
                int start = from;
                int end = Math.min(ids.size(), from + perTxn);
                done.add(pool.submit(() -> {
                    ConsulTxn txn = new ConsulTxn(consul, token);
                    for (int i = start; i < end; i++) {
                        txn.service(node(i), ids.get(i), NodeKind.HOST.tag(), meta());
                        txn.check(node(i), ids.get(i), "passing");
                        txn.kvSet(PREFIX + ids.get(i), record(i));
                        alive[i] = true;
                    }
                    txn.commit();
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /** One change of {@code kind} to host {@code index}, written and acknowledged. */
    Change apply(int seq, int index, Kind kind) {
        String id = ids.get(index);
        ConsulTxn txn = new ConsulTxn(consul, token);
        String value = null;
        switch (kind) {
            case DIE -> {
                txn.check(node(index), id, "critical");
                txn.kvDelete(PREFIX + id);
            }
            case RETURN -> {
                revision[index]++;
                value = record(index);
                txn.check(node(index), id, "passing");
                txn.kvSet(PREFIX + id, value);
            }
            case UPDATE -> {
                revision[index]++;
                value = record(index);
                txn.kvSet(PREFIX + id, value);
            }
        }
        txn.commit();
        alive[index] = kind != Kind.DIE;
        return new Change(seq, id, kind, value, System.nanoTime());
    }

    private Map<String, String> meta() {
        return Map.of("kind", "host", "version", "bench", "gateway", GATEWAY);
    }

    /** The record host-agent would write; its label {@code rev} changes with every update (an UPDATED event). */
    private String record(int index) {
        String id = ids.get(index);
        NodeRecord record = new NodeRecord(NodeRecord.SCHEMA, id, NodeKind.HOST, datacenter, "bench",
                Instant.parse("2026-01-01T00:00:00Z"), null, null, GATEWAY,
                new Location("Las Vegas", "US", 36.17, -115.14), HARDWARE,
                Map.of("rev", Integer.toString(revision[index]), "tier", "home"), null);
        return Base64.getEncoder().encodeToString(NodeRecords.toJson(record).getBytes(StandardCharsets.UTF_8));
    }
}
