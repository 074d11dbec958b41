package io.edgemanifest.host;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.PassingServiceWatch;
import io.edgemanifest.core.consul.SessionWatch;
import java.nio.file.Path;
import io.edgemanifest.core.node.NodeKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import io.edgemanifest.core.presence.PresenceState;
import org.kiwiproject.consul.Consul;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N virtual hosts in one JVM, each a full {@link HostAgent} (own identity, session, heartbeat,
 * gateway choice), with optional churn: every interval one random host leaves or comes back, a
 * third of the time in another datacenter. They share a small scheduler pool and, per datacenter,
 * one gateway watch and one Consul client, so N hosts cost N sessions and heartbeats, not N
 * threads, N watches and N connection pools.
 */
final class SimulatedHosts implements AutoCloseable, HostAgent.Shared {

    private static final Logger log = LoggerFactory.getLogger(SimulatedHosts.class);

    private final HostAgentConfig base;
    private final TokenSource tokens;
    private final int count;
    private final Duration churn;
    private final int threads;
    private final List<HostAgent> hosts = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final Map<ConsulEndpoint, PassingServiceWatch> watches = new ConcurrentHashMap<>();
    private final Map<ConsulEndpoint, Consul> clients = new ConcurrentHashMap<>();
    private final Map<ConsulEndpoint, SessionWatch> sessionWatches = new ConcurrentHashMap<>();
    private final Map<List<String>, AgentDiscovery> discoveries = new ConcurrentHashMap<>();
    /** One watch per agent on its node's sessions, telling a host at once that its session vanished. */
    private final boolean watchSessions;
    private final Random random = new Random();
    private final ScheduledExecutorService churner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "host-churn");
        t.setDaemon(true);
        return t;
    });

    /**
     * Where virtual host {@code i} (state under {@code stateDir}) gets its Consul token: under ACLs
     * each has its own, as real hosts do (stored by an earlier enrolment, or enrolled now).
     */
    @FunctionalInterface
    interface TokenSource {
        ConsulToken tokenFor(int index, Path stateDir);

        /** Every virtual host uses the base config's token (a Consul without ACLs, or a test). */
        static TokenSource shared() {
            return (i, dir) -> null;
        }
    }

    SimulatedHosts(HostAgentConfig base, int count, Duration churn) {
        this(base, count, churn, TokenSource.shared());
    }

    SimulatedHosts(HostAgentConfig base, int count, Duration churn, TokenSource tokens) {
        this(base, count, churn, tokens, true);
    }

    /** @param watchSessions false: hosts find a lost session at their next key read, as lone hosts do (benchmarks) */
    SimulatedHosts(HostAgentConfig base, int count, Duration churn, TokenSource tokens, boolean watchSessions) {
        this.watchSessions = watchSessions;
        this.base = base;
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.count = count;
        this.churn = churn;
        // A tick is one short request while the agent answers, but a hung (frozen) agent holds a
        // thread for the whole request timeout on every tick of every host on it. With 2 threads,
        // 12 hosts on a frozen agent queued behind each other's timeouts and took over 60 s to
        // leave it (ConsulFaultIT, under load). Up to 16 threads, never more than hosts: a few hung
        // hosts no longer starve the rest. Thousands of hosts on one hung agent still queue; that
        // needs non-blocking requests (docs/reliability.md).
        this.threads = Math.min(16, Math.max(2, count));
        this.scheduler = Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "virtual-hosts");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public PassingServiceWatch watch(ConsulEndpoint endpoint) {
        return watches.computeIfAbsent(endpoint, e -> new PassingServiceWatch(e, NodeKind.GATEWAY.serviceName()).start());
    }

    @Override
    public Consul client(ConsulEndpoint endpoint) {
        // Same read timeout as a lone host's presence: bounded by the heartbeat tick.
        return clients.computeIfAbsent(endpoint, e -> e.sharedClient(
                HostAgent.presenceConfig(base, e).requestTimeout(), threads + 4));
    }

    @Override
    public SessionWatch sessionWatch(ConsulEndpoint endpoint) {
        if (!watchSessions) {
            return null;
        }
        // A blocking query waits up to 5 min; the watch reads with the token of the first host
        // here (session read on the agent's node: every host token on that agent has it).
        return sessionWatches.computeIfAbsent(endpoint, e -> new SessionWatch(e, Duration.ofMinutes(5)).start());
    }

    @Override
    public AgentDiscovery discovery(List<ConsulEndpoint> group) {
        // One blocking query per datacenter for the whole pool, read with the first host's token
        // (node read: every host token has it).
        return discoveries.computeIfAbsent(group.stream().map(e -> e.url().toString()).toList(),
                k -> new AgentDiscovery(group, HostAgent.DISCOVERY_WAIT).start());
    }

    /** The watches on the agents' sessions (for measurements). */
    Map<ConsulEndpoint, SessionWatch> sessionWatches() {
        return Map.copyOf(sessionWatches);
    }

    /** The virtual hosts (null where churn took one away). */
    synchronized List<HostAgent> hosts() {
        return new ArrayList<>(hosts);
    }

    private HostAgent newHost(HostAgentConfig config) {
        return new HostAgent(config, scheduler, this);
    }

    private final Map<Integer, ConsulToken> tokenOf = new ConcurrentHashMap<>();

    /** Where virtual host {@code i} keeps its ID (and, under ACLs, its token). */
    static Path stateDirOf(Path stateDir, int i) {
        return stateDir.resolve("sim-" + i);
    }

    private HostAgentConfig configOf(int i, List<List<ConsulEndpoint>> datacenters) {
        Path dir = stateDirOf(base.stateDir(), i);
        ConsulToken token = tokenOf.computeIfAbsent(i, k -> {
            ConsulToken own = tokens.tokenFor(k, dir);
            return own != null ? own : datacenters.get(0).get(0).token();
        });
        // The same agents, with this host's own token (endpoints compare by address: clients and
        // gateway watches stay shared per agent, each request carries its host's token).
        List<List<ConsulEndpoint>> own = datacenters.stream()
                .map(group -> group.stream().map(e -> new ConsulEndpoint(e.url(), token, e.caFile())).toList())
                .toList();
        return new HostAgentConfig(own, dir, base.check(),
                base.location(), base.labels(), base.migrateAfter(), base.deregisterAfter(), base.version(),
                base.discoverAgents());
    }

    /**
     * Starts the hosts with at most four per pool thread establishing at a time. Started all at
     * once, 10,000 first ticks queue ahead of the heartbeats of hosts already present (the pool runs
     * the earliest-due task first), heartbeats come later than the TTL, sessions die and the hosts
     * start over: a herd that never settles (measured). Admission keeps the pool free for
     * heartbeats. It cannot keep a Consul agent under its capacity (BENCHMARKS.md, scale): an
     * admission gate on late heartbeats was tried and only slowed start-up before the same collapse.
     */
    synchronized SimulatedHosts start() {
        Semaphore establishing = new Semaphore(threads * 4);
        long began = System.nanoTime();
        for (int i = 0; i < count; i++) {
            try {
                if (!establishing.tryAcquire(5, TimeUnit.SECONDS)) {
                    log.debug("virtual hosts: none settled within 5 s, starting host {} anyway", i);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            HostAgent host = newHost(configOf(i, base.datacenters())).start();
            hosts.add(host);
            AtomicBoolean released = new AtomicBoolean();
            Runnable release = () -> {
                if (released.compareAndSet(false, true)) {
                    establishing.release();
                }
            };
            // Settled: present, or waiting in back-off (a retry is a timer, not a busy thread).
            host.presence().onStateChange(state -> release.run());
            if (host.presence().state() != PresenceState.STARTING) {
                release.run(); // it settled before the listener was added
            }
            if ((i + 1) % 1000 == 0) {
                log.info("{} of {} virtual hosts admitted after {} ms", i + 1, count, (System.nanoTime() - began) / 1_000_000);
            }
        }
        log.info("{} virtual hosts started in {} ms", count, (System.nanoTime() - began) / 1_000_000);
        if (churn != null) {
            churner.scheduleWithFixedDelay(this::churnOnce, churn.toMillis(), churn.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private synchronized void churnOnce() {
        int i = random.nextInt(count);
        HostAgent host = hosts.get(i);
        if (host == null) {
            // A third of the returns attach elsewhere: the same host, migrated to another datacenter.
            boolean migrate = base.datacenters().size() > 1 && random.nextInt(3) == 0;
            List<List<ConsulEndpoint>> order = new ArrayList<>(base.datacenters());
            if (migrate) {
                Collections.rotate(order, -1 - random.nextInt(order.size() - 1));
            }
            hosts.set(i, newHost(configOf(i, order)).start());
            log.info("churn: virtual host {} is back{}", i, migrate ? " in another datacenter" : "");
        } else {
            host.close();
            hosts.set(i, null);
            log.info("churn: virtual host {} left", i);
        }
    }

    @Override
    public synchronized void close() {
        churner.shutdownNow();
        hosts.stream().filter(Objects::nonNull).parallel().forEach(HostAgent::close);
        hosts.clear();
        watches.values().forEach(PassingServiceWatch::close);
        sessionWatches.values().forEach(SessionWatch::close);
        discoveries.values().forEach(AgentDiscovery::close);
        clients.values().forEach(Consul::destroy);
        scheduler.shutdownNow();
    }
}
