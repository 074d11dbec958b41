package io.edgemanifest.gateway.drain;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.cli.Durations;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeKind;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.ConsistencyMode;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.QueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains a gateway before it leaves: its gRPC health goes NOT_SERVING (Consul's probe fails it within
 * one check interval, hosts watching the passing gateways move on by rendezvous), then it waits until
 * no host record names it, bounded by the drain timeout.
 *
 * <p>"Who names me" is read from the hosts' records with a blocking query on {@code manifest/hosts/}
 * (stale reads, so any server answers) rather than from the hosts' service meta: Consul 1.8 cannot
 * filter the catalog by service meta across service names (each host has its own), so that would be
 * one query per host. The KV read returns every host record of the datacenter (7.9 MB for 10,000
 * records, ~120 ms to read and ~100 ms to count, measured on Consul 1.8.7), so it is paced to at
 * most one read per {@link #MIN_READ_INTERVAL} and only runs while draining — a few reads per
 * redeploy. A host whose check failed loses its record with its
 * session, so dead hosts do not hold a drain up.
 *
 * <p>One drain at a time: a second request (the {@code drain} command, then SIGTERM) joins the one
 * running; one that comes after a finished drain looks again (the gateway is NOT_SERVING already).
 */
public final class Drainer implements AutoCloseable {

    /** The least time between two reads of the host records: bounds the cost at many hosts. */
    static final Duration MIN_READ_INTERVAL = Duration.ofSeconds(1);
    /** The longest a blocking read waits for a change: the other gateways are looked at this often. */
    static final Duration MAX_BLOCK = Duration.ofSeconds(2);
    /** How long one read may take: a blocking read's wait plus Consul's jitter and a margin. */
    static final Duration READ_TIMEOUT = MAX_BLOCK.plusSeconds(3);
    /** Consecutive failed reads after which the drain gives up (Consul gone: hosts cannot move either). */
    static final int MAX_FAILURES = 3;
    /**
     * Beyond the drain timeout, how long a stop waits for the drain's end: the reads in flight when
     * the timeout ran out. Past it, something is wrong in the drain and the gateway leaves anyway.
     */
    public static final Duration STOP_MARGIN = READ_TIMEOUT.multipliedBy(2);

    private static final Logger log = LoggerFactory.getLogger(Drainer.class);
    private static final String HOSTS_PREFIX = "manifest/hosts/";

    private final String gatewayId;
    private final ConsulEndpoint endpoint;
    private final Duration timeout;
    private final Runnable markNotServing;
    private final List<Consumer<DrainStatus>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    // Guarded by lock.
    private CompletableFuture<DrainStatus> running;
    private CountDownLatch abort = new CountDownLatch(1);
    private Thread worker;
    private Consul client;
    private boolean closed;
    private boolean aborted;
    /** NOT_SERVING was asked for: a later drain does not refuse, it only looks again. */
    private boolean notServing;

    /**
     * @param markNotServing turns the gateway's health NOT_SERVING (idempotent)
     */
    public Drainer(String gatewayId, ConsulEndpoint endpoint, Duration timeout, Runnable markNotServing) {
        this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.markNotServing = Objects.requireNonNull(markNotServing, "markNotServing");
    }

    /**
     * Starts a drain, or joins the one running. {@code progress} hears every look (about once a
     * second while hosts move) until the drain ends; the future completes with the last one.
     */
    public CompletableFuture<DrainStatus> drain(Consumer<DrainStatus> progress) {
        return drain(progress, false);
    }

    /**
     * As {@link #drain(Consumer)}; with {@code onlyIfOthers} (the operator's {@code drain}), a drain
     * that would start while no other gateway passes is refused ({@link DrainStatus.Outcome#REFUSED}):
     * the gateway stays SERVING rather than take the last way in out of service. A stop drains anyway.
     */
    public CompletableFuture<DrainStatus> drain(Consumer<DrainStatus> progress, boolean onlyIfOthers) {
        synchronized (lock) {
            if (closed || aborted) {
                // A second signal may come before the stop asked for its drain: it still counts.
                return CompletableFuture.completedFuture(new DrainStatus(DrainStatus.Outcome.ABORTED, 0, 0, Duration.ZERO));
            }
            if (progress != null) {
                listeners.add(progress);
            }
            if (running == null || running.isDone()) {
                running = new CompletableFuture<>();
                abort = new CountDownLatch(1);
                CompletableFuture<DrainStatus> result = running;
                CountDownLatch stop = abort;
                boolean refuseIfAlone = onlyIfOthers && !notServing;
                worker = Thread.ofPlatform().daemon().name("gateway-drain").start(() -> run(result, stop, refuseIfAlone));
            }
            CompletableFuture<DrainStatus> result = running;
            if (progress != null) {
                result.whenComplete((status, e) -> listeners.remove(progress));
            }
            return result;
        }
    }

    /** The drain timeout: a stop waits for {@link #drain} at most this plus {@link #STOP_MARGIN}. */
    public Duration timeout() {
        return timeout;
    }

    /** Ends a running drain now (a second stop signal): the waiter gets {@link DrainStatus.Outcome#ABORTED}. */
    public void abort() {
        synchronized (lock) {
            aborted = true; // sticky: a drain asked for after this returns ABORTED at once
            abort.countDown();
            if (worker != null) {
                worker.interrupt();
            }
            if (client != null) {
                client.destroy(); // a blocking read in flight ends now, not after its wait
            }
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        abort();
    }

    private void run(CompletableFuture<DrainStatus> result, CountDownLatch stop, boolean refuseIfAlone) {
        long started = System.nanoTime();
        DrainStatus last = new DrainStatus(DrainStatus.Outcome.DRAINING, 0, 0, Duration.ZERO);
        // Whatever happens in here (an Error, a client that cannot be built), the waiter hears an end:
        // a stop waiting for it must not hang until systemd's SIGKILL.
        try {
            last = drainUntilDone(started, stop, refuseIfAlone);
        } catch (RuntimeException | Error e) {
            log.warn("{}: drain failed: {}", gatewayId, Errors.rootMessage(e));
        } finally {
            if (!last.outcome().done()) {
                last = last.aborted();
            }
            log.info("{}", last.describe(gatewayId));
            publish(last);
            result.complete(last);
        }
    }

    private DrainStatus drainUntilDone(long started, CountDownLatch stop, boolean refuseIfAlone) {
        DrainStatus last = new DrainStatus(DrainStatus.Outcome.DRAINING, 0, 0, Duration.ZERO);
        // Its read timeout outlasts a blocking read (plus Consul's jitter) but not much more: on a
        // hung agent, MAX_FAILURES reads must not hold the stop for long.
        Consul consul = endpoint.client(READ_TIMEOUT);
        synchronized (lock) {
            client = consul;
        }
        try {
            if (refuseIfAlone) {
                // Looked at before NOT_SERVING: the last passing gateway stays in service. A read
                // that fails refuses too (an operator's drain can be asked again; a stop drains anyway).
                long others = otherPassingGateways(consul);
                if (others == 0) {
                    return new DrainStatus(DrainStatus.Outcome.REFUSED, 0, 0,
                            Duration.ofNanos(System.nanoTime() - started));
                }
            }
            synchronized (lock) {
                notServing = true;
            }
            markNotServing.run();
            log.info("{}: drain started: health NOT_SERVING, waiting up to {} until no host names it",
                    gatewayId, Durations.format(timeout));
            BigInteger index = null;
            int failures = 0;
            boolean first = true;
            long lastLogged = -1;
            long lastLogNanos = 0;
            while (stop.getCount() > 0) {
                Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
                try {
                    long others = otherPassingGateways(consul);
                    ConsulResponse<List<Value>> hosts = hostRecords(consul, index, timeout.minus(elapsed));
                    index = hosts.getIndex();
                    List<Value> records = hosts.getResponse() == null ? List.of() : hosts.getResponse();
                    if (records.isEmpty() && first) {
                        // Consul 1.8 answers the same to a token that may not read them (it filters
                        // them out): say what to check.
                        log.info("{}: no host record visible under {} (if hosts are attached, the token lacks "
                                + "key_prefix \"{}\" read: run 'stargate acl init' to update the gateway policy)",
                                gatewayId, HOSTS_PREFIX, HOSTS_PREFIX);
                    }
                    first = false;
                    long attached = AttachedHosts.naming(gatewayId, records.stream()
                            .map(v -> v.getValueAsString().orElse(null)).filter(Objects::nonNull).toList());
                    failures = 0;
                    last = DrainStatus.of(attached, others, Duration.ofNanos(System.nanoTime() - started), timeout);
                } catch (RuntimeException e) {
                    if (stop.getCount() == 0) {
                        break;
                    }
                    failures++;
                    log.warn("{}: drain cannot read who is attached ({}/{}): {}", gatewayId, failures, MAX_FAILURES,
                            Errors.rootMessage(e));
                    Duration now = Duration.ofNanos(System.nanoTime() - started);
                    if (now.compareTo(timeout) >= 0) {
                        last = new DrainStatus(DrainStatus.Outcome.TIMED_OUT, last.attachedHosts(), last.otherPassingGateways(), now);
                        break;
                    }
                    if (failures >= MAX_FAILURES) {
                        last = last.aborted();
                        break;
                    }
                    last = new DrainStatus(DrainStatus.Outcome.DRAINING, last.attachedHosts(), last.otherPassingGateways(), now);
                }
                publish(last);
                if (last.outcome().done()) {
                    break;
                }
                if (last.attachedHosts() != lastLogged || System.nanoTime() - lastLogNanos > MAX_BLOCK.toNanos()) {
                    log.info("{}", last.describe(gatewayId));
                    lastLogged = last.attachedHosts();
                    lastLogNanos = System.nanoTime();
                }
                // Pacing, not synchronisation: a burst of host moves must not become a burst of
                // full reads of every host record. An abort ends the pause at once.
                if (stop.await(MIN_READ_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
        } catch (InterruptedException e) {
            // aborted while pausing
        } catch (RuntimeException e) {
            if (refuseIfAlone && !notServingNow()) {
                log.warn("{}: drain refused: cannot tell whether another gateway passes: {}", gatewayId,
                        Errors.rootMessage(e));
                return new DrainStatus(DrainStatus.Outcome.REFUSED, 0, 0, Duration.ofNanos(System.nanoTime() - started));
            }
            log.warn("{}: drain failed: {}", gatewayId, Errors.rootMessage(e));
        } finally {
            synchronized (lock) {
                client = null;
            }
            consul.destroy();
        }
        return last;
    }

    private boolean notServingNow() {
        synchronized (lock) {
            return notServing;
        }
    }

    private void publish(DrainStatus status) {
        for (Consumer<DrainStatus> listener : listeners) {
            try {
                listener.accept(status);
            } catch (RuntimeException e) {
                log.debug("drain progress listener failed", e);
            }
        }
    }

    private long otherPassingGateways(Consul consul) {
        return consul.healthClient().getHealthyServiceInstances(NodeKind.GATEWAY.serviceName()).getResponse().stream()
                .filter(h -> !gatewayId.equals(h.getService().getId()))
                .count();
    }

    /**
     * The host records, waiting for a change after {@code index} for at most {@link #MAX_BLOCK} (and
     * never past the timeout); the first read, or one with under a second left, answers at once.
     */
    private ConsulResponse<List<Value>> hostRecords(Consul consul, BigInteger index, Duration left) {
        QueryOptions options;
        long waitSeconds = Math.min(MAX_BLOCK.toSeconds(), left.toSeconds());
        if (index == null || waitSeconds < 1) {
            options = ImmutableQueryOptions.builder().consistencyMode(ConsistencyMode.STALE).build();
        } else {
            options = ImmutableQueryOptions.builder().from(QueryOptions.blockSeconds((int) waitSeconds, index).build())
                    .consistencyMode(ConsistencyMode.STALE).build();
        }
        try {
            return consul.keyValueClient().getConsulResponseWithValues(HOSTS_PREFIX, options);
        } catch (ConsulException e) {
            if (e.hasCode() && e.getCode() == 404) {
                // No host record at all: nobody names us.
                return new ConsulResponse<>(List.of(), 0, true, BigInteger.ZERO, null, null);
            }
            throw e;
        }
    }
}
