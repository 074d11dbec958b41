package io.edgemanifest.core.presence;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.cli.Durations;
import io.edgemanifest.core.consul.ConsulErrors;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.RawConsul;
import io.edgemanifest.core.consul.SessionWatch;
import io.edgemanifest.core.consul.ServiceSessions;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.core.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegCheck;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.kv.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Presence} loop. Every tick runs under one lock, so a node never races itself; ticks of
 * different nodes share the scheduler. A tick is one request in the steady state (the heartbeat),
 * plus one GET every verify interval and a write only when the record changed.
 */
final class ConsulPresence implements Presence {

    private static final Logger log = LoggerFactory.getLogger(ConsulPresence.class);

    private final PresenceConfig config;
    private final Consul consul;
    /** False when the client is shared by many presences in one JVM (virtual hosts): not ours to destroy. */
    private final boolean ownsClient;
    private final ScheduledExecutorService scheduler;
    private final String id;
    private final String serviceName;
    private final String checkId;
    private final String key;
    private final Backoff backoff;
    private final PresenceMetrics metrics;
    /** Every interval is measured on its monotonic clock: a stepped wall clock must not look like an outage. */
    private final Ticker ticker;
    /** Tells us at once when our session vanishes (shared per agent by virtual hosts), or null. */
    private final SessionWatch sessionWatch;
    private final List<Consumer<PresenceState>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();

    // Guarded by lock.
    private NodeRecord desired;
    private Map<String, String> registeredMeta;
    private String writtenJson;
    private String sessionId;
    private String datacenter;
    private boolean registered;
    private boolean serviceRegistered;
    private boolean closed;
    /** {@link #leaving()}: no more ticks; only {@link #close()} is left to run. */
    private boolean leaving;
    /** The key is read at the next step (start, a heartbeat gap, a lost session suspected). */
    private boolean verifyDue = true;
    private long nextVerifyNanos;
    /** When the last heartbeat was sent (monotonic), 0 before the first. */
    private long lastBeatNanos;
    /**
     * The agent answers, but later than our request timeout: heartbeats go out with a timeout of one
     * TTL (they still land: a slow agent applies the pass when it arrives) and nothing else is
     * asked of it until it answers in time again. Slow is not down.
     */
    private boolean slow;
    /**
     * A session create failed after it may have reached Consul (timeout, connection cut): Consul may
     * hold a session of ours that nobody knows. Looked for (by name, on our node) before the next create.
     */
    private boolean sessionCreateUncertain;
    private ScheduledFuture<?> nextTick;
    private String lastProblem;
    private java.util.concurrent.CompletableFuture<Void> reRegistered;

    private volatile PresenceState state = PresenceState.STARTING;
    /**
     * When the current run of failures was recognised as an outage (or a refusal), monotonic. Time
     * unreachable counts from here, not from the last answer: finding out can take a patient
     * heartbeat (up to a TTL), and hosts whose agent hung together would otherwise all be past their
     * (jittered) migrate-after at the same moment and leave in the same second.
     */
    private volatile long unreachableSinceNanos;
    /**
     * The last failure was a 403: this agent will not take us (our token was revoked, or another
     * host squats our ID there). Counted like unreachable time, so a host moves on to its next agent.
     */
    private volatile boolean refused;

    ConsulPresence(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler, Consul sharedClient) {
        this(config, record, scheduler, sharedClient, Ticker.SYSTEM, null);
    }

    ConsulPresence(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler, Consul sharedClient,
                   Ticker ticker, SessionWatch sessionWatch) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.sessionWatch = sessionWatch;
        this.config = Objects.requireNonNull(config, "config");
        this.desired = Objects.requireNonNull(record, "record");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.ownsClient = sharedClient == null;
        this.consul = sharedClient != null ? sharedClient : config.endpoint().client(config.requestTimeout());
        this.metrics = PresenceMetrics.of(record.kind());
        this.id = record.id();
        this.serviceName = record.kind().serviceNameOf(id);
        this.checkId = "service:" + id;
        this.key = record.kind().keyOf(id);
        this.backoff = new Backoff(Duration.ofMillis(100), config.maxBackoff());
        NodeRecords.toJson(record); // refuse an oversized record before starting, not in the loop
    }

    @Override
    public Presence start() {
        schedule(Duration.ZERO);
        return this;
    }

    @Override
    public void update(UnaryOperator<NodeRecord> change) {
        synchronized (lock) {
            NodeRecord next = change.apply(desired);
            NodeRecords.toJson(next);
            desired = next;
            if (backoff.attempts() > 0) {
                // Backing off (Consul unreachable or refusing): the change goes out with the next
                // attempt. Rescheduling now would turn every update into an extra request at the
                // agent that is already failing — a gateway flapping while Consul is down would
                // make each of its hosts hammer it.
                return;
            }
        }
        schedule(Duration.ZERO);
    }

    @Override
    public NodeRecord record() {
        synchronized (lock) {
            return datacenter == null ? desired : desired.withDatacenter(datacenter);
        }
    }

    @Override
    public PresenceState state() {
        return state;
    }

    @Override
    public Optional<String> datacenter() {
        synchronized (lock) {
            return Optional.ofNullable(datacenter);
        }
    }

    @Override
    public Optional<String> sessionId() {
        synchronized (lock) {
            return Optional.ofNullable(sessionId);
        }
    }

    @Override
    public Duration unreachableFor() {
        PresenceState now = state;
        return now == PresenceState.UNREACHABLE || (now == PresenceState.DEGRADED && refused)
                ? Duration.ofNanos(Math.max(0, ticker.nanoTime() - unreachableSinceNanos)) : Duration.ZERO;
    }

    @Override
    public void onStateChange(Consumer<PresenceState> listener) {
        listeners.add(listener);
    }

    @Override
    public void leaving() {
        synchronized (lock) {
            if (closed || leaving) {
                return;
            }
            leaving = true;
            if (nextTick != null) {
                nextTick.cancel(false);
            }
        }
        log.info("{}: leaving: no longer keeping the session alive (it ends with the check)", id);
    }

    private void schedule(Duration delay) {
        synchronized (lock) {
            if (closed || leaving) {
                return;
            }
            if (nextTick != null) {
                nextTick.cancel(false);
            }
            nextTick = scheduler.schedule(this::tick, delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void tick() {
        Duration delay;
        synchronized (lock) {
            if (closed || leaving) {
                return;
            }
            long started = ticker.nanoTime();
            try {
                // Each node acts with its own token, also over a client shared with other nodes.
                config.endpoint().token().runAs(this::step);
                refused = false;
                backoff.reset();
                lastProblem = null;
                setState(PresenceState.PRESENT);
                // Beats keep their cadence start to start: a slow answer must not stretch the gap.
                Duration spent = Duration.ofNanos(ticker.nanoTime() - started);
                Duration tick = config.check().tickInterval();
                delay = spent.compareTo(tick) >= 0 ? Duration.ZERO : tick.minus(spent);
            } catch (RuntimeException e) {
                delay = onFailure(e);
            } catch (Error e) {
                // Never let the loop die silently while the node still looks present.
                log.error("{}: presence step failed unexpectedly, retrying", id, e);
                registered = false;
                serviceRegistered = false;
                delay = backoff.next();
            }
        }
        schedule(delay);
    }

    /** One pass of the life of a node: establish if needed, else beat and verify. */
    private void step() {
        if (!registered) {
            establish();
            return;
        }
        if (config.check() instanceof CheckSpec.Ttl ttlCheck) {
            long started = ticker.nanoTime();
            // A gap longer than the TTL may have let the check expire, and the session with it:
            // look at once instead of waiting for the next routine verify.
            Duration ttl = ttlCheck.ttl();
            if (lastBeatNanos != 0 && started - lastBeatNanos > ttl.toNanos()) {
                log.info("{}: {} ms since the last heartbeat (TTL {}): verifying the session now", id,
                        (started - lastBeatNanos) / 1_000_000, Durations.format(ttl));
                verifyDue = true;
            }
            try {
                if (slow) {
                    patientPass(ttl);
                } else {
                    try {
                        consul.agentClient().passCheck(checkId);
                    } catch (Exception e) {
                        if (!ConsulErrors.isTimeout(e)) {
                            throw e;
                        }
                        // Timed out: the agent may be slow rather than gone. Ask once more, with
                        // the patience of one TTL; only if that fails too is it unreachable.
                        log.debug("{}: heartbeat timed out, asking again with a {} timeout", id, Durations.format(ttl));
                        patientPass(ttl);
                    }
                }
                metrics.heartbeat(datacenter, ticker.nanoTime() - started);
                lastBeatNanos = started;
            } catch (Exception e) {
                metrics.heartbeatFailed(datacenter);
                if (ConsulErrors.isUnknownCheck(e)) {
                    log.warn("{}: Consul no longer knows check {} (agent restarted?): registering again", id, checkId);
                    registered = false;
                    serviceRegistered = false;
                    slow = false;
                    establish();
                    return;
                }
                throw rethrow(e);
            }
            if (slow) {
                // Our beat landed; everything else waits until the agent answers in time again
                // (a key read or a write would only time out and count as an outage).
                return;
            }
        }
        if (!desired.serviceMeta().equals(registeredMeta)) {
            register();
        }
        String json = NodeRecords.toJson(desired.withDatacenter(datacenter));
        if (!json.equals(writtenJson) || verifyDue || ticker.nanoTime() - nextVerifyNanos >= 0) {
            verifyAndWrite();
        }
    }

    /**
     * A heartbeat with a timeout of one TTL, sent by hand (consul-client's timeout is per client).
     * An answer proves the agent alive and the beat applied: the presence stays PRESENT, in slow
     * mode while answers take longer than the normal request timeout.
     */
    private void patientPass(Duration ttl) {
        long sent = ticker.nanoTime();
        ConsulToken bound = ConsulToken.bound();
        String token = (bound != null ? bound : config.endpoint().token()).get();
        RawConsul.put(config.endpoint(), token, "/v1/agent/check/pass/" + urlEncode(checkId), ttl);
        Duration took = Duration.ofNanos(ticker.nanoTime() - sent);
        boolean nowSlow = took.compareTo(config.requestTimeout()) >= 0;
        if (nowSlow != slow) {
            if (nowSlow) {
                log.warn("{}: Consul at {} is slow (a heartbeat took {} ms): beating with a {} timeout, "
                        + "nothing else asked of it until it answers in time", id, config.endpoint(), took.toMillis(),
                        Durations.format(ttl));
            } else {
                log.info("{}: Consul at {} answers in time again ({} ms)", id, config.endpoint(), took.toMillis());
            }
            slow = nowSlow;
        }
    }

    private static String urlEncode(String text) {
        return java.net.URLEncoder.encode(text, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    private void establish() {
        if (datacenter == null) {
            datacenter = localDatacenter();
        }
        metrics.establishing(datacenter);
        if (!serviceRegistered) {
            // Not again while waiting for a gRPC check to pass: re-registering restarts Consul's probe.
            register();
        }
        if (config.check() instanceof CheckSpec.Ttl) {
            // A critical check refuses a session: the first heartbeat must come before the session.
            long sent = ticker.nanoTime();
            passOrThrow();
            lastBeatNanos = sent;
        }
        writtenJson = null;
        verifyAndWrite();
        registered = true;
        log.info("{}: present in datacenter {} as {} (session {})", id, datacenter, key, sessionId);
    }

    /**
     * The agent's datacenter, from the catalog's nodes (every node listed is in the local one) rather
     * than {@code /v1/agent/self}, which needs {@code agent read}: a host's token has node read only.
     */
    private String localDatacenter() {
        return consul.catalogClient().getNodes().getResponse().stream()
                .map(node -> node.getDatacenter().orElse(null))
                .filter(Objects::nonNull)
                .findFirst()
                .orElseThrow(() -> new PresenceException("Consul listed no node with a datacenter (does the token have node read?)"));
    }

    private void passOrThrow() {
        try {
            consul.agentClient().passCheck(checkId);
        } catch (Exception e) {
            throw rethrow(e);
        }
    }

    private void register() {
        Map<String, String> meta = desired.serviceMeta();
        consul.agentClient().register(ImmutableRegistration.builder()
                .id(id)
                .name(serviceName)
                .addTags(desired.kind().tag())
                .meta(meta)
                .check(regCheck())
                .build());
        registeredMeta = meta;
        serviceRegistered = true;
        if (reRegistered != null) {
            reRegistered.complete(null);
            reRegistered = null;
        }
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> reRegister() {
        java.util.concurrent.CompletableFuture<Void> done;
        synchronized (lock) {
            if (closed) {
                return java.util.concurrent.CompletableFuture.failedFuture(new PresenceException("presence closed"));
            }
            if (reRegistered == null) {
                reRegistered = new java.util.concurrent.CompletableFuture<>();
            }
            done = reRegistered;
            registeredMeta = null; // the next step registers again, with the token in force now
        }
        schedule(Duration.ZERO);
        return done;
    }

    private Registration.RegCheck regCheck() {
        String deregisterAfter = Durations.format(config.deregisterCriticalAfter());
        if (config.check() instanceof CheckSpec.Ttl ttl) {
            // Born passing: the node is alive as it registers. Born critical, it needs a heartbeat
            // and a second anti-entropy sync before a session is allowed, and every sync scans all
            // of the agent's services (Consul 1.8): with thousands of hosts, that is the cost.
            return ImmutableRegCheck.builder()
                    .ttl(Durations.format(ttl.ttl()))
                    .status("passing")
                    .deregisterCriticalServiceAfter(deregisterAfter)
                    .build();
        }
        CheckSpec.Grpc grpc = (CheckSpec.Grpc) config.check();
        ImmutableRegCheck.Builder check = ImmutableRegCheck.builder();
        if (grpc.tls()) {
            check.grpcUseTls(true).tlsSkipVerify(grpc.tlsSkipVerify());
        }
        return check
                .grpc(grpc.address())
                .interval(Durations.format(grpc.interval()))
                .timeout(Durations.format(grpc.timeout()))
                .deregisterCriticalServiceAfter(deregisterAfter)
                .build();
    }

    /**
     * Makes sure our key holds our record under our live session: creates a session if ours is
     * gone, destroys a stale one that still holds our key (an earlier run of this node — left
     * alive, its later invalidation would delete the key we are about to write), and acquires.
     */
    private void verifyAndWrite() {
        Optional<Value> current = consul.keyValueClient().getValue(key);
        String holder = current.flatMap(Value::getSession).orElse(null);
        if (sessionId != null && !sessionId.equals(holder)
                && consul.sessionClient().getSessionInfo(sessionId).isEmpty()) {
            log.warn("{}: session {} is gone (invalidated or destroyed): creating a new one", id, sessionId);
            metrics.sessionLost(datacenter);
            if (sessionWatch != null) {
                sessionWatch.untrack(sessionId);
            }
            sessionId = null;
        }
        if (holder != null && !holder.equals(sessionId)) {
            log.info("{}: {} is held by stale session {}: destroying it", id, key, holder);
            consul.sessionClient().destroySession(holder);
        }
        if (sessionId == null) {
            sessionId = createSession();
            if (sessionWatch != null) {
                sessionWatch.track(sessionId, this::sessionSeenGone);
            }
        }
        String json = NodeRecords.toJson(desired.withDatacenter(datacenter));
        String currentValue = current.flatMap(Value::getValueAsString).orElse(null);
        if (!sessionId.equals(holder) || !json.equals(currentValue)) {
            if (currentValue != null && sessionId.equals(holder) && NodeRecords.fromJson(currentValue).isEmpty()) {
                log.warn("{}: {} held a value that is not a node record: overwriting it", id, key);
            }
            if (!consul.keyValueClient().acquireLock(key, json, sessionId)) {
                throw new PresenceException("Consul refused to let session " + sessionId + " acquire " + key);
            }
        }
        writtenJson = json;
        verifyDue = false;
        nextVerifyNanos = ticker.nanoTime() + config.verifyInterval().toNanos();
    }

    /**
     * A session bound to this node's own check only — not to the agent's serfHealth: under ACLs any
     * host can register a check with CheckID "serfHealth" on its own service, which the agent syncs
     * over the node's real one, so failing it would invalidate every session on the node (measured
     * on 1.8.7); and one flap of a busy agent would end every session on it while heartbeats still
     * succeed. A node that dies is caught by its Stargate's node guard, which destroys the sessions
     * of a node whose serfHealth stays critical, and replicate folds serfHealth into every status.
     */
    private String createSession() {
        ConsulToken bound = ConsulToken.bound();
        String token = (bound != null ? bound : config.endpoint().token()).get();
        if (sessionCreateUncertain) {
            destroyUnknownSessions(token);
        }
        try {
            return ServiceSessions.create(config.endpoint(), token, id, checkId, config.requestTimeout());
        } catch (java.io.UncheckedIOException e) {
            // Refused connections never reached Consul; anything later (a timeout, a cut connection)
            // may have created a session we will never hear of. Left alone it would live as long as
            // our check passes — for ever — one more per timeout.
            if (!ConsulErrors.isConnectFailure(e)) {
                sessionCreateUncertain = true;
            }
            throw e;
        }
    }

    /**
     * After a session create whose answer we lost: destroys every session named after us on our
     * agent's node (we hold none: {@link #sessionId} is null here), found through the catalog entry
     * of our service. One listing of the node's sessions, only after such a failure.
     */
    private void destroyUnknownSessions(String token) {
        java.util.List<String> orphans = ServiceSessions.namedOnNodeOf(config.endpoint(), token, serviceName, id, id,
                config.requestTimeout());
        for (String orphan : orphans) {
            log.info("{}: destroying session {} left by a create whose answer was lost", id, orphan);
            consul.sessionClient().destroySession(orphan);
        }
        sessionCreateUncertain = false;
    }

    /** From the session watch: our session is no longer listed on the agent's node. Verify now. */
    private void sessionSeenGone() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            verifyDue = true;
            if (backoff.attempts() > 0) {
                return; // backing off: the next attempt verifies anyway
            }
        }
        log.debug("{}: the session watch no longer lists our session: verifying now", id);
        schedule(Duration.ZERO);
    }

    private Duration onFailure(RuntimeException e) {
        Duration delay = backoff.next();
        if (ConsulErrors.isUnreachable(e)) {
            if (state != PresenceState.UNREACHABLE) {
                unreachableSinceNanos = ticker.nanoTime();
            }
            if (setState(PresenceState.UNREACHABLE)) {
                log.warn("{}: Consul at {} unreachable ({}): retrying with back-off up to {}", id,
                        config.endpoint(), rootMessage(e), Durations.format(config.maxBackoff()));
            }
            if (registered && config.check() instanceof CheckSpec.Ttl ttl && lastBeatNanos != 0
                    && ticker.nanoTime() - lastBeatNanos < ttl.ttl().toNanos()) {
                // Our check still lives in Consul: an outage shorter than what is left of the TTL
                // must not cost the session (and the record, and a false OFFLINE) because the
                // back-off slept past it. Retry at a third of the heartbeat until the TTL ran out.
                Duration cap = ttl.heartbeat().dividedBy(3);
                if (delay.compareTo(cap) > 0) {
                    delay = cap;
                }
            }
            log.debug("{}: still unreachable, retry in {} ms", id, delay.toMillis());
            return delay;
        }
        if (ConsulErrors.isCheckNotPassing(e)) {
            // gRPC nodes: Consul has not probed us successfully yet; TTL nodes: the check went
            // critical between pass and session. Either way the check must pass first.
            registered = false;
            if (String.valueOf(e.getMessage()).contains("Missing check") && !(config.check() instanceof CheckSpec.Ttl)) {
                serviceRegistered = false; // the agent lost our registration (restarted)
            }
            // A TTL node's heartbeat just proved the agent knows the check: "Missing check" means
            // the agent has not synced it to the catalog yet. Registering again would only add
            // another full anti-entropy pass and push the sync further out.
            setState(PresenceState.DEGRADED);
            Duration soon = delay.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : delay;
            log.debug("{}: session refused, check {} not passing yet: retry in {} ms", id, checkId, soon.toMillis());
            return soon;
        }
        if (ConsulErrors.isPermissionDenied(e)) {
            // Not an outage and not ours to fix: an operator revoked or mis-scoped the token. Keep
            // trying (a fixed policy heals us) but say it once per change, without a stack trace.
            registered = false;
            serviceRegistered = false;
            if (!refused || state != PresenceState.DEGRADED) {
                unreachableSinceNanos = ticker.nanoTime();
            }
            refused = true;
            String problem = "Consul refused the token: " + Errors.rootCause(e).getMessage();
            if (setState(PresenceState.DEGRADED) || !problem.equals(lastProblem)) {
                log.warn("{}: {} ({}); retrying with back-off up to {}", id, problem,
                        ConsulErrors.isTokenNotFound(e) ? "token unknown: revoked or rotated away?" : "token lacks a right",
                        Durations.format(config.maxBackoff()));
                lastProblem = problem;
            }
            return delay;
        }
        if (ConsulErrors.isUnknownCheck(e)) {
            // Met while establishing: the agent lost our registration.
            registered = false;
            serviceRegistered = false;
        }
        // Any other refusal (a 500 from an agent that is busy or between servers, an acquire that
        // lost a race) leaves what is established alone: the next tick beats and verifies again
        // after the back-off. Registering again would cost the agent a full anti-entropy sync per
        // failure — Consul 1.8 scans every service it holds — and only "unknown check" needs it.
        setState(PresenceState.DEGRADED);
        if (config.check() instanceof CheckSpec.Ttl ttl && delay.compareTo(ttl.heartbeat()) > 0) {
            // Each retry beats first: backing off past the heartbeat would let our check expire while
            // the agent still answers (a session refused with "Missing node registration" after the
            // servers lost their state), and the check, synced back critical, reads as OFFLINE.
            delay = ttl.heartbeat();
        }
        String problem = rootMessage(e);
        if (!problem.equals(lastProblem)) {
            log.warn("{}: presence step failed, retrying in {} ms", id, delay.toMillis(), e);
            lastProblem = problem;
        }
        return delay;
    }

    private boolean setState(PresenceState next) {
        PresenceState previous = state;
        if (previous == next) {
            return false;
        }
        state = next;
        if (next == PresenceState.PRESENT && previous != PresenceState.STARTING) {
            log.info("{}: present again in {} after {}", id, datacenter, previous);
        }
        for (Consumer<PresenceState> listener : listeners) {
            try {
                listener.accept(next);
            } catch (RuntimeException e) {
                log.warn("{}: presence listener failed", id, e);
            }
        }
        return true;
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (nextTick != null) {
                nextTick.cancel(false);
            }
            config.endpoint().token().runAs(this::leave);
            if (sessionWatch != null) {
                sessionWatch.untrack(sessionId);
            }
            sessionId = null;
            registered = false;
        }
        setState(PresenceState.CLOSED);
        if (ownsClient) {
            consul.destroy();
        }
        log.info("{}: left datacenter {}", id, datacenter);
    }

    private void leave() {
        // Session first: the key vanishes at once, before the service does.
        if (sessionId != null) {
            try {
                consul.sessionClient().destroySession(sessionId);
            } catch (RuntimeException e) {
                log.warn("{}: could not destroy session {} (it dies with the check): {}", id, sessionId, rootMessage(e));
            }
        }
        try {
            consul.agentClient().deregister(id);
        } catch (RuntimeException e) {
            log.warn("{}: could not deregister (Consul will reap it): {}", id, rootMessage(e));
        }
    }

    private static RuntimeException rethrow(Exception e) {
        return e instanceof RuntimeException re ? re : new PresenceException(e.getMessage(), e);
    }

    private static String rootMessage(Throwable e) {
        Throwable root = Errors.rootCause(e);
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
