package io.edgemanifest.replicate;

import com.fasterxml.jackson.core.type.TypeReference;
import io.edgemanifest.core.consul.ConsulRead;
import io.edgemanifest.core.presence.Backoff;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every host, followed node by node: one blocking {@code /v1/health/node/<node>} per Consul agent
 * node instead of one {@code /v1/health/state/any} for the whole datacenter.
 *
 * <p>Why (Consul 1.8 {@code state/catalog.go}): {@code ChecksInState(any)} watches the whole
 * {@code checks} table ({@code tx.Get("checks", "status")}) and answers every check — any host's
 * change wakes it and costs a read of every host; a {@code ?filter} is applied after the state
 * query, under the same table index, so a filtered shard wakes and answers just as often.
 * {@code NodeChecks} watches only that node's checks ({@code tx.Get("checks", "node", node)}): a
 * change wakes its own node's query, whose answer is that agent's hosts and its serfHealth — what
 * a change costs is the hosts per agent, not the hosts per datacenter. Nodes come and go through
 * a blocking {@code /v1/catalog/nodes} (the nodes table: agents joining or leaving, not hosts).
 *
 * <p>Same documents as {@link Scopes.Hosts} (the per-node part of its rules is node-local: the
 * instance's checks and its node's serfHealth; the best instance per ID is chosen across nodes,
 * ties to the first node by name). The index this scope answers is its own change counter; when a
 * node's Consul index goes backwards (a reset) it answers 0 once, so its replicator resyncs. A
 * confirming (consistent) read is one table-wide read ({@link Scopes.Hosts#fetch}): rare.
 */
final class HostsByNode implements Scope {

    private static final Logger log = LoggerFactory.getLogger(HostsByNode.class);
    private static final TypeReference<List<Map<String, Object>>> NODES = new TypeReference<>() { };

    private final Scopes.Hosts table;
    private final SourceReads reads;
    private final Duration wait;
    private final Duration maxBackoff;

    private final Object lock = new Object();
    /** Per node (by name, so ties resolve the same way each time): its hosts' candidates. */
    private final Map<String, Map<String, Scopes.Hosts.Candidate>> nodes = new TreeMap<>();
    private final Map<String, Thread> watchers = new HashMap<>();
    private Set<String> listed;
    private long version = 1;
    private boolean reset;
    private RuntimeException failure;
    private long lastContactMillis;
    private volatile boolean running = true;
    private Thread nodeList;

    HostsByNode(Scopes.Hosts table, SourceReads reads, Duration wait, Duration maxBackoff) {
        this.table = table;
        this.reads = reads;
        this.wait = wait;
        this.maxBackoff = maxBackoff;
    }

    @Override
    public String name() {
        return table.name();
    }

    @Override
    public String destinationPrefix() {
        return table.destinationPrefix();
    }

    @Override
    public void checkAccess() {
        table.checkAccess();
    }

    @Override
    public Set<String> awaitingResync(java.util.Collection<String> nodes) {
        return table.awaitingResync(nodes);
    }

    @Override
    public boolean owns(String key, Entry entry) {
        return table.owns(key, entry);
    }

    @Override
    public Snapshot fetch(BigInteger index, Duration blockFor, boolean consistent) {
        if (consistent) {
            return table.fetch(BigInteger.ZERO, blockFor, true);
        }
        synchronized (lock) {
            if (nodeList == null) {
                nodeList = Thread.ofVirtual().name("replicate-" + table.datacenter() + "-nodes").start(this::watchNodes);
            }
            long deadline = System.nanoTime() + blockFor.toNanos();
            // Not before every listed node answered once: a node not read yet is not a node without hosts.
            while (running && failure == null && !reset && (!complete() || (index.signum() > 0 && version <= index.longValue()))) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", e);
                }
            }
            if (failure != null) {
                RuntimeException e = failure;
                failure = null;
                throw e;
            }
            if (reset) {
                reset = false;
                version++;
                if (index.signum() > 0) {
                    return new Snapshot(Map.of(), BigInteger.ZERO, lastContactMillis); // index backwards: resync
                }
            }
            if (!complete()) {
                // A node not read yet is not a node without hosts: no answer rather than a partial one.
                throw new IllegalStateException("not every node of " + table.datacenter() + " has answered yet");
            }
            Map<String, Scopes.Hosts.Candidate> best = new LinkedHashMap<>();
            for (Map<String, Scopes.Hosts.Candidate> hosts : nodes.values()) {
                hosts.forEach((id, candidate) -> best.merge(id, candidate, (kept, other) ->
                        Scopes.rank(other.status()) < Scopes.rank(kept.status()) ? other : kept));
            }
            Map<String, Entry> entries = new LinkedHashMap<>();
            best.forEach((id, candidate) -> entries.put(destinationPrefix() + id, candidate.entry()));
            return new Snapshot(entries, BigInteger.valueOf(version), lastContactMillis);
        }
    }

    /** The node list was read and every listed node answered once. */
    private boolean complete() {
        return listed != null && nodes.keySet().containsAll(listed);
    }

    @Override
    public void close() {
        running = false;
        synchronized (lock) {
            if (nodeList != null) {
                nodeList.interrupt();
            }
            watchers.values().forEach(Thread::interrupt);
            lock.notifyAll();
        }
    }

    private void fail(RuntimeException e) {
        synchronized (lock) {
            failure = e;
            lock.notifyAll();
        }
    }

    /** Follows the source's node list: a watch per node, ended when its node leaves the catalog. */
    private void watchNodes() {
        Backoff backoff = new Backoff(Duration.ofMillis(250), maxBackoff);
        BigInteger index = BigInteger.ZERO;
        while (running) {
            try {
                ConsulRead.Answer answer = reads.get(name(), "/v1/catalog/nodes", index, wait, false);
                if (answer.index().compareTo(index) < 0) {
                    index = BigInteger.ZERO;
                    markReset();
                    continue;
                }
                index = answer.index();
                Set<String> names = new HashSet<>();
                for (Map<String, Object> node : Scopes.parse(answer.body(), NODES)) {
                    Object name = node.get("Node");
                    if (name instanceof String n && !n.isEmpty()) {
                        names.add(n);
                    }
                }
                synchronized (lock) {
                    for (String gone : new HashSet<>(watchers.keySet())) {
                        if (!names.contains(gone)) {
                            watchers.remove(gone).interrupt();
                            if (nodes.remove(gone) != null) {
                                version++;
                            }
                        }
                    }
                    for (String node : names) {
                        watchers.computeIfAbsent(node, n -> Thread.ofVirtual()
                                .name("replicate-" + table.datacenter() + "-node-" + n).start(() -> watchNode(n)));
                    }
                    listed = names;
                    lock.notifyAll();
                }
                backoff.reset();
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                fail(e);
                pause(backoff.next());
            }
        }
    }

    /** Follows one node's checks: its hosts' and its serfHealth. */
    private void watchNode(String node) {
        Backoff backoff = new Backoff(Duration.ofMillis(250), maxBackoff);
        BigInteger index = BigInteger.ZERO;
        while (running && !Thread.currentThread().isInterrupted()) {
            try {
                ConsulRead.Answer answer = reads.get(name(), "/v1/health/node/" + ConsulRead.encode(node), index, wait, false,
                        "filter=" + ConsulRead.encode(Scopes.Hosts.FILTER));
                if (answer.index().compareTo(index) < 0) {
                    index = BigInteger.ZERO;
                    markReset();
                    continue;
                }
                index = answer.index();
                List<HealthCheck> checks = Scopes.parse(answer.body(), Scopes.HEALTH_CHECKS);
                Map<String, Scopes.Hosts.Candidate> hosts = table.candidates(checks);
                synchronized (lock) {
                    if (!watchers.containsKey(node)) {
                        return; // left the catalog meanwhile
                    }
                    lastContactMillis = answer.lastContactMillis();
                    if (!hosts.equals(nodes.get(node))) {
                        nodes.put(node, hosts);
                        version++;
                    }
                    lock.notifyAll();
                }
                backoff.reset();
            } catch (RuntimeException e) {
                if (!running || Thread.currentThread().isInterrupted()) {
                    return;
                }
                log.debug("{} hosts: node {}: {}", table.datacenter(), node, e.toString());
                fail(e);
                pause(backoff.next());
            }
        }
    }

    private void markReset() {
        synchronized (lock) {
            reset = true;
            lock.notifyAll();
        }
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis()); // retry pacing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
