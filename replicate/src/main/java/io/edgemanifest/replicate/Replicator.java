package io.edgemanifest.replicate;

import io.edgemanifest.core.choice.Rendezvous;
import io.edgemanifest.core.consul.ConsulEndpoint;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import io.micrometer.core.instrument.MeterRegistry;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegCheck;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.model.session.ImmutableSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replicate instance. Registers as service {@code replicate} with a TTL check; holds a session
 * bound to it; replicates exactly the sources whose lock {@code replicate/lock/<dc>} it holds.
 * Sources spread by rendezvous hashing over the passing instances: an instance takes the sources it
 * ranks first for, hands back the ones another passing instance ranks first for, and takes any lock
 * that stayed free for a few rounds (its owner is not taking it). When an instance dies its check
 * goes critical, its session is invalidated, its locks vanish and the others take over.
 */
public final class Replicator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Replicator.class);
    static final String SERVICE = "replicate";
    private static final int FREE_ROUNDS_BEFORE_TAKING = 3;

    private final ReplicateConfig config;
    private final String id;
    private final Consul destination;
    private final ReplicaWriter writer;
    private final ReplicateMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final Map<String, SourceReplicator> running = new ConcurrentHashMap<>();
    private final Map<String, Integer> freeRounds = new HashMap<>();
    private String session;
    private boolean registered;
    private String lastProblem;
    private volatile boolean closed;

    public Replicator(ReplicateConfig config, MeterRegistry registry) {
        this(config, registry, SERVICE + "-" + UUID.randomUUID());
    }

    /** With a chosen instance ID: tests pick one whose rendezvous ranking splits the sources. */
    Replicator(ReplicateConfig config, MeterRegistry registry, String id) {
        this.id = Objects.requireNonNull(id, "id");
        this.config = Objects.requireNonNull(config, "config");
        this.destination = config.destination().client(Duration.ofSeconds(5));
        this.metrics = new ReplicateMetrics(registry, running::size);
        this.writer = new ReplicaWriter(config.destination(), metrics);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "replicate-balance");
            t.setDaemon(true);
            return t;
        });
    }

    /** An instance with metrics kept in memory only (tests, embedding). */
    public Replicator(ReplicateConfig config) {
        this(config, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    public String id() {
        return id;
    }

    public Replicator start() {
        long beat = config.instanceTtl().toMillis() / 3;
        scheduler.scheduleWithFixedDelay(this::round, 0, Math.min(beat, config.balanceInterval().toMillis()),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Sources this instance replicates now. */
    public Set<String> held() {
        return Set.copyOf(running.keySet());
    }

    /** Transactions written to the destination so far (for tests and metrics). */
    public long transactions() {
        return metrics.transactions();
    }

    /** Answers that tripped the mass-delete guard. */
    public long guardTrips() {
        return metrics.guardTrips();
    }

    /** Writes the destination refused because this instance no longer held the source's lock. */
    public long fencedWrites() {
        return metrics.fencedWrites();
    }

    /** Times a source's index went backwards and a scope was read again in full. */
    public long indexResets() {
        return metrics.indexResets();
    }

    private synchronized void round() {
        if (closed) {
            return;
        }
        try {
            heartbeat();
            balance();
            running.values().forEach(SourceReplicator::beat);
            lastProblem = null;
        } catch (RuntimeException e) {
            String problem = e.toString();
            if (!problem.equals(lastProblem)) {
                log.warn("{}: destination {} problem, retrying: {}", id, config.destination(), problem);
                lastProblem = problem;
            }
        }
    }

    private void heartbeat() {
        if (!registered) {
            destination.agentClient().register(ImmutableRegistration.builder().id(id).name(SERVICE)
                    .check(ImmutableRegCheck.builder().ttl(config.instanceTtl().toSeconds() + "s")
                            .deregisterCriticalServiceAfter("1m").build())
                    .build());
            registered = true;
        }
        try {
            destination.agentClient().passCheck("service:" + id);
        } catch (Exception e) {
            registered = false; // the agent forgot us (restart): register again next round
            throw new IllegalStateException("heartbeat refused: " + e.getMessage(), e);
        }
        if (session == null || destination.sessionClient().getSessionInfo(session).isEmpty()) {
            if (session != null) {
                log.warn("{}: session {} gone: every lock it held is lost", id, session);
                stopAll();
            }
            session = destination.sessionClient().createSession(ImmutableSession.builder().name(id)
                    .behavior("delete").lockDelay("0s").addChecks("serfHealth", "service:" + id).build()).getId();
        }
    }

    private void balance() {
        List<String> instances = destination.healthClient().getHealthyServiceInstances(SERVICE).getResponse()
                .stream().map(h -> h.getService().getId()).sorted().toList();
        for (SourceSpec source : config.sources()) {
            String dc = source.datacenter();
            String lockKey = lockKey(dc);
            Optional<String> holder = destination.keyValueClient().getValue(lockKey).flatMap(Value::getSession);
            String owner = Rendezvous.choose(dc, instances.isEmpty() ? List.of(id) : instances).orElse(id);
            boolean mine = running.containsKey(dc);
            if (mine) {
                if (!holder.equals(Optional.of(session))) {
                    log.warn("{}: lost the lock of {}: stopping", id, dc);
                    stop(dc);
                } else if (!owner.equals(id) && instances.contains(owner)) {
                    log.info("{}: handing {} to {}", id, dc, owner);
                    handOver(dc, lockKey, session);
                }
                continue;
            }
            if (holder.isPresent()) {
                freeRounds.remove(dc);
                continue;
            }
            int free = freeRounds.merge(dc, 1, Integer::sum);
            if ((owner.equals(id) || free > FREE_ROUNDS_BEFORE_TAKING)
                    && destination.keyValueClient().acquireLock(lockKey, id, session)) {
                freeRounds.remove(dc);
                log.info("{}: took the lock of {}", id, dc);
                metrics.holding(dc);
                running.put(dc, new SourceReplicator(source, config.destination(), destination, writer,
                        new ReplicaWriter.Fence(lockKey, session), config.settings(), metrics).start());
            }
        }
    }

    static String lockKey(String datacenter) {
        return "replicate/lock/" + datacenter;
    }

    /**
     * Stops replicating {@code dc} and releases its lock once our writers have stopped (off the
     * round's thread, which must keep beating): the fence refuses a transaction sent after the
     * release, but a large value's plain put is fenced only by our session, which is still alive.
     */
    private void handOver(String dc, String lockKey, String heldBy) {
        SourceReplicator replicator = running.remove(dc);
        if (replicator == null) {
            return;
        }
        replicator.close();
        metrics.forget(dc); // the new holder exports its gauges; ours would age from a frozen answer
        Thread.ofVirtual().name("replicate-handover-" + dc).start(() -> {
            if (!replicator.awaitStopped(HANDOVER_WAIT)) {
                log.warn("{}: writers of {} still busy after {} s: releasing its lock anyway (transactions stay fenced)",
                        id, dc, HANDOVER_WAIT.toSeconds());
            }
            try {
                destination.keyValueClient().releaseLock(lockKey, heldBy);
            } catch (RuntimeException e) {
                log.warn("{}: could not release the lock of {} (it goes with our session): {}", id, dc, e.toString());
            }
        });
    }

    /** A write in flight ends within its request timeout (10 s). */
    private static final Duration HANDOVER_WAIT = Duration.ofSeconds(12);

    private void stop(String dc) {
        SourceReplicator replicator = running.remove(dc);
        if (replicator != null) {
            replicator.close();
        }
        metrics.forget(dc);
    }

    private void stopAll() {
        Set.copyOf(running.keySet()).forEach(this::stop);
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            stopAll();
        }
        scheduler.shutdownNow();
        try {
            if (session != null) {
                destination.sessionClient().destroySession(session); // locks vanish at once
            }
            destination.agentClient().deregister(id);
        } catch (RuntimeException e) {
            log.warn("{}: could not leave cleanly (locks expire with the TTL check): {}", id, e.toString());
        }
        destination.destroy();
    }

    /** Validated configuration of one instance. */
    public record ReplicateConfig(ConsulEndpoint destination, List<SourceSpec> sources, ReplicateSettings settings,
                                  Duration instanceTtl, Duration balanceInterval) {
        public ReplicateConfig {
            Objects.requireNonNull(destination, "destination");
            if (sources == null || sources.isEmpty()) {
                throw new IllegalArgumentException("at least one --source is needed");
            }
            Set<String> names = sources.stream().map(SourceSpec::datacenter).collect(Collectors.toSet());
            if (names.size() != sources.size()) {
                throw new IllegalArgumentException("a --source datacenter is named twice: " + sources);
            }
            sources = List.copyOf(sources);
            Objects.requireNonNull(settings, "settings");
            if (instanceTtl.compareTo(Duration.ofSeconds(3)) < 0 || instanceTtl.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("--ttl must be whole seconds, at least 3s: " + instanceTtl.toMillis() + "ms");
            }
            if (balanceInterval.isNegative() || balanceInterval.isZero()) {
                throw new IllegalArgumentException("balance interval must be positive");
            }
        }
    }
}
