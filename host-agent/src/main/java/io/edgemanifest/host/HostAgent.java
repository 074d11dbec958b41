package io.edgemanifest.host;

import io.edgemanifest.core.choice.Rendezvous;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.PassingServiceWatch;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.time.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.health.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One host: present in one Stargate datacenter at a time, attached to a gateway there chosen by
 * rendezvous hashing, migrating to the next datacenter when the current one stays unreachable.
 */
public final class HostAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HostAgent.class);

    private final HostAgentConfig config;
    private final String id;
    private final ScheduledExecutorService scheduler;
    private final boolean ownsScheduler;
    private final Shared shared;
    /**
     * The Consul agents to attach to, in order: each datacenter's agents ranked for this host,
     * datacenters in preference order (guarded by lock: discovery changes it). With agent
     * discovery a datacenter's agents are the advertised ones, then the given ones not advertised.
     */
    private List<ConsulEndpoint> agents;
    /** The datacenter (index into the config's list) of each entry of {@link #agents}. */
    private List<Integer> datacenterOf;
    /** Per datacenter, the advertised agents discovery found last (empty: none, or no discovery). */
    private final List<List<ConsulEndpoint>> discovered;
    /** Per datacenter, its discovery (null without), and our listener on it. */
    private final List<AgentDiscovery> discoveries;
    private final List<Consumer<List<java.net.URI>>> discoveryListeners;
    /** The discoveries this host started itself (not a pool's): closed with it. */
    private final java.util.Set<AgentDiscovery> ownDiscoveries = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /**
     * The attachment a rebalance moved away from: its loop is stopped (two presences of one host
     * must never fight over its key), its instance stays in the catalog until the new one is
     * PRESENT (or one TTL passed: its check has expired by then anyway), then it is left — so the
     * host is never without a passing instance while it moves.
     */
    private Attachment retiring;
    /** A move to a newly joined agent, spread over half a heartbeat ({@link #onDiscovered}); guarded by lock. */
    private ScheduledFuture<?> pendingMove;
    private long retireByNanos;
    /** How long one discovery query blocks: a failed or recovered agent is noticed within it. */
    static final Duration DISCOVERY_WAIT = Duration.ofSeconds(60);
    /** Monotonic time for every interval (unreachable time, migration), never the wall clock. */
    private final Ticker ticker;
    /**
     * How long the attached datacenter must stay unreachable before this host moves: {@code
     * --migrate-after} plus up to half of it, fixed per host by its ID. Hosts that lost one agent
     * together then leave it spread over that half instead of all in the same second, and the
     * agent they land on takes them in a stream, not a herd.
     */
    private final Duration migrateAfter;
    private final Object lock = new Object();
    private Attachment attachment;
    private ScheduledFuture<?> supervisor;
    private boolean closed;
    /**
     * Agents we moved away from whose answer we are still waiting for, to take our instance off them
     * (keyed by agent). An agent that died holds our service in the catalog —
     * critical once the TTL ran out, for up to 72 h if it never returns — and replicate would see the
     * same ID on two agents. When it answers again we deregister there at once, before its own reaper
     * (deregister-after) would. Cancelled if we attach to that agent again.
     */
    private final Map<ConsulEndpoint, Thread> leaving = new java.util.concurrent.ConcurrentHashMap<>();
    /** How long we keep trying to leave an agent: Consul's reconnect_timeout, after which it reaps the node itself. */
    static final Duration LEAVE_FOR = Duration.ofHours(72);

    /** The datacenter we are in now: its presence and its gateway watch (ours, or shared and only listened to). */
    private record Attachment(int datacenter, ConsulEndpoint endpoint, Presence presence, PassingServiceWatch gateways,
                              Consumer<Map<String, Service>> listener, boolean sharedWatch) {
        void close() {
            releaseWatch();
            presence.close();
        }

        void releaseWatch() {
            if (sharedWatch) {
                gateways.removeListener(listener);
            } else {
                gateways.close();
            }
        }
    }

    /**
     * What many virtual hosts in one JVM share per datacenter: one gateway watch (one blocking
     * query, not one per host) and one Consul client (one connection pool: Consul caps connections
     * per client address). The owner closes them after the hosts.
     */
    public interface Shared {
        PassingServiceWatch watch(ConsulEndpoint endpoint);

        Consul client(ConsulEndpoint endpoint);

        /**
         * One watch on the sessions of that agent's node for all hosts sharing it, or null for none
         * (then each host finds a lost session at its next key read, within one TTL).
         */
        default io.edgemanifest.core.consul.SessionWatch sessionWatch(ConsulEndpoint endpoint) {
            return null;
        }

        /** One agent discovery per datacenter (given as its agents) for all hosts sharing it, or null for our own. */
        default AgentDiscovery discovery(List<ConsulEndpoint> group) {
            return null;
        }
    }

    public HostAgent(HostAgentConfig config) {
        this(config, null, null);
    }

    /**
     * @param sharedScheduler runs this host's loop beside others' (not shut down by {@link #close()}), or null for its own
     * @param shared          gateway watches and clients shared with other hosts, or null for its own
     */
    public HostAgent(HostAgentConfig config, ScheduledExecutorService sharedScheduler, Shared shared) {
        this(config, sharedScheduler, shared, Ticker.SYSTEM);
    }

    /** @param ticker the clocks (tests inject one whose wall clock steps) */
    public HostAgent(HostAgentConfig config, ScheduledExecutorService sharedScheduler, Shared shared, Ticker ticker) {
        this.config = Objects.requireNonNull(config, "config");
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.HOST);
        this.ownsScheduler = sharedScheduler == null;
        // Two threads: supervision must run while a tick waits on a hung agent (a patient heartbeat
        // may take a TTL), or migration would be decided only when that tick gives up.
        this.scheduler = sharedScheduler != null ? sharedScheduler : Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "host-agent");
            t.setDaemon(true);
            return t;
        });
        this.shared = shared;
        int datacenters = config.datacenters().size();
        this.discovered = new java.util.ArrayList<>(java.util.Collections.nCopies(datacenters, List.of()));
        this.discoveries = new java.util.ArrayList<>(java.util.Collections.nCopies(datacenters, (AgentDiscovery) null));
        this.discoveryListeners = new java.util.ArrayList<>(java.util.Collections.nCopies(datacenters,
                (Consumer<List<java.net.URI>>) null));
        rerank();
        this.migrateAfter = migrateAfter(id, config.migrateAfter());
    }

    /** Recomputes {@link #agents} from the given and the discovered agents. */
    private void rerank() {
        List<ConsulEndpoint> all = new java.util.ArrayList<>();
        List<Integer> dcs = new java.util.ArrayList<>();
        for (int dc = 0; dc < config.datacenters().size(); dc++) {
            List<ConsulEndpoint> ranked = rankedIn(dc);
            all.addAll(ranked);
            dcs.addAll(java.util.Collections.nCopies(ranked.size(), dc));
        }
        agents = List.copyOf(all);
        datacenterOf = List.copyOf(dcs);
    }

    /**
     * A datacenter's agents in this host's order: the advertised ones by rendezvous, then the given
     * ones not advertised (the bootstrap, kept as the last fallback), by rendezvous too.
     */
    private List<ConsulEndpoint> rankedIn(int dc) {
        List<ConsulEndpoint> given = config.datacenters().get(dc);
        List<ConsulEndpoint> found = discovered.get(dc);
        if (found.isEmpty()) {
            return rankFor(id, given);
        }
        List<ConsulEndpoint> ranked = new java.util.ArrayList<>(rankFor(id, found));
        List<ConsulEndpoint> rest = given.stream().filter(e -> !found.contains(e)).toList();
        if (!rest.isEmpty()) {
            ranked.addAll(rankFor(id, rest));
        }
        return ranked;
    }

    /** {@code base} plus a share of its half fixed by the host's ID (murmur3: even over IDs). */
    static Duration migrateAfter(String hostId, Duration base) {
        long hash = com.google.common.hash.Hashing.murmur3_32_fixed()
                .hashString(hostId, java.nio.charset.StandardCharsets.UTF_8).asInt() & 0xffffffffL;
        return base.plus(base.dividedBy(2).multipliedBy(hash % 1000).dividedBy(1000));
    }

    /**
     * A host's presence in the datacenter at {@code endpoint}: its key is read once per TTL. Under
     * ACLs any host on the same agent may destroy another's session (Consul 1.8 grants sessions per
     * node, not per service), which deletes the victim's record: the victim must notice within one
     * TTL (docs/security.md). Reads run on heartbeat ticks, so every TTL minus one heartbeat keeps
     * the worst case at one TTL: with heartbeats at TTL/2 that is one read per heartbeat,
     * served by the Consul servers, not by the agent's anti-entropy path that limits heartbeats.
     * A heartbeat gap longer than the TTL triggers the read at once.
     */
    static PresenceConfig presenceConfig(HostAgentConfig config, ConsulEndpoint endpoint) {
        return presenceConfig(config, endpoint, false);
    }

    /**
     * With a session watch the watch tells a host at once that its session vanished; the key read
     * stays as a safety net (a watch that cannot reach Consul, a record overwritten under our own
     * session) at four TTLs, a sixth of the reads.
     */
    static PresenceConfig presenceConfig(HostAgentConfig config, ConsulEndpoint endpoint, boolean watched) {
        Duration verify = watched ? config.check().ttl().multipliedBy(4)
                : config.check().ttl().minus(config.check().heartbeat());
        return new PresenceConfig(endpoint, config.check(), config.deregisterAfter(), verify, Duration.ofSeconds(10));
    }

    /** A datacenter's agents in the order this host prefers them: an even, stable spread of hosts over agents. */
    static List<ConsulEndpoint> rankFor(String hostId, List<ConsulEndpoint> group) {
        if (group.size() == 1) {
            return group;
        }
        Map<String, ConsulEndpoint> byUrl = new java.util.LinkedHashMap<>();
        group.forEach(e -> byUrl.put(e.url().toString(), e));
        return Rendezvous.rank(hostId, byUrl.keySet()).stream().map(byUrl::get).toList();
    }

    public String id() {
        return id;
    }

    public HostAgent start() {
        if (config.discoverAgents()) {
            startDiscovery();
        }
        synchronized (lock) {
            attach(firstReachable(), null);
            if (config.discoverAgents()) {
                for (int dc = 0; dc < discoveries.size(); dc++) {
                    int datacenter = dc;
                    Consumer<List<java.net.URI>> listener = urls -> onDiscovered(datacenter, urls);
                    discoveryListeners.set(dc, listener);
                    discoveries.get(dc).onChange(listener);
                }
            }
            if (agents.size() > 1 || config.discoverAgents()) { // one agent and no discovery: nowhere to go
                supervisor = scheduler.scheduleWithFixedDelay(this::supervise, 1, 1, TimeUnit.SECONDS);
            }
        }
        return this;
    }

    /**
     * One discovery per datacenter (shared by virtual hosts), and up to 3 s for their first answers,
     * so a starting host attaches straight to its own agent rather than to a bootstrap agent it
     * would leave a moment later.
     */
    private void startDiscovery() {
        long deadline = ticker.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (int dc = 0; dc < config.datacenters().size(); dc++) {
            List<ConsulEndpoint> group = config.datacenters().get(dc);
            AgentDiscovery discovery = shared != null ? shared.discovery(group) : null;
            if (discovery == null) {
                discovery = new AgentDiscovery(group, DISCOVERY_WAIT).start();
                ownDiscoveries.add(discovery);
            }
            discoveries.set(dc, discovery);
        }
        synchronized (lock) {
            for (int dc = 0; dc < discoveries.size(); dc++) {
                List<java.net.URI> first = discoveries.get(dc).awaitFirst(
                        Duration.ofNanos(Math.max(0, deadline - ticker.nanoTime())));
                if (first != null) {
                    discovered.set(dc, endpointsOf(dc, first));
                }
            }
            rerank();
        }
    }

    /** Discovered URLs as endpoints with this host's token and its datacenter's CA file. */
    private List<ConsulEndpoint> endpointsOf(int dc, List<java.net.URI> urls) {
        ConsulEndpoint given = config.datacenters().get(dc).get(0);
        return urls.stream().map(url -> new ConsulEndpoint(url, given.token(), given.caFile())).toList();
    }

    /**
     * The agents of datacenter {@code dc} that take hosts changed: when this host's rendezvous choice
     * there is no longer the agent it is on, it moves (only the hosts whose choice changed do — the
     * point of rendezvous hashing). Nothing advertised any more: it stays where it is.
     */
    private void onDiscovered(int dc, List<java.net.URI> urls) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            List<ConsulEndpoint> found = endpointsOf(dc, urls);
            if (found.equals(discovered.get(dc))) {
                return; // what we started with, or no change for us
            }
            discovered.set(dc, found);
            rerank();
            if (attachment == null || attachment.datacenter() != dc || urls.isEmpty()) {
                return;
            }
            ConsulEndpoint top = rankedIn(dc).get(0);
            // The same agent under another URL (given http://name:8500, advertised http://10.0.0.5:8500)
            // is no move: leaving "the old" would deregister our one instance there.
            if (pendingMove != null) {
                pendingMove.cancel(false); // decided again below on the new list
                pendingMove = null;
            }
            if (sameAgent(top, attachment.endpoint())) {
                return;
            }
            ConsulEndpoint on = attachment.endpoint();
            if (found.stream().noneMatch(e -> sameAgent(e, on))) {
                // Our agent is gone or critical: its beats fail anyway, move at once.
                log.info("{}: the agents taking hosts in this datacenter changed ({} now, {} not among them): moving to {}",
                        id, urls.size(), on, top);
                move(agents.indexOf(top));
                return;
            }
            // Our agent lives and another one (newly joined) is our choice: all the hosts it takes
            // heard of it in the same instant, so each moves after its own random share of half a
            // heartbeat — a stream onto the new agent, not a herd.
            long delayMs = java.util.concurrent.ThreadLocalRandom.current()
                    .nextLong(config.check().heartbeat().toMillis() / 2 + 1);
            log.info("{}: the agents taking hosts in this datacenter changed ({} now): moving from {} to {} in {} ms",
                    id, urls.size(), on, top, delayMs);
            pendingMove = scheduler.schedule(() -> moveToChoice(dc), delayMs, TimeUnit.MILLISECONDS);
        }
    }

    /** A move {@link #onDiscovered} spread: still wanted once its delay is over? */
    private void moveToChoice(int dc) {
        try {
            synchronized (lock) {
                pendingMove = null;
                if (closed || attachment == null || attachment.datacenter() != dc || discovered.get(dc).isEmpty()) {
                    return;
                }
                ConsulEndpoint top = rankedIn(dc).get(0);
                if (!sameAgent(top, attachment.endpoint())) {
                    move(agents.indexOf(top));
                }
            }
        } catch (RuntimeException e) {
            log.warn("{}: moving to its agent of choice failed (the supervisor still migrates if ours fails)", id, e);
        }
    }

    /**
     * Moves within or across datacenters while the old instance still passes: the old loop stops,
     * the new instance registers (born passing) and takes over the key, and the old one is left
     * once the new one is PRESENT ({@link #retireIfDone}). replicate takes the best instance per
     * ID, so the Explorer never sees the host without a passing one.
     */
    private void move(int index) {
        Attachment old = attachment;
        old.presence().leaving();
        if (retiring != null) {
            leave(retiring); // moved again before the last move settled: that one goes now
        }
        retiring = old;
        retireByNanos = ticker.nanoTime() + config.check().ttl().toNanos();
        String gateway = datacenterOf.get(index) == old.datacenter() ? old.presence().record().gateway() : null;
        attach(index, gateway);
    }

    /** Leaves the attachment a move came from once the new one is PRESENT, or after one TTL. */
    private void retireIfDone() {
        if (retiring != null && (attachment.presence().state() == io.edgemanifest.core.presence.PresenceState.PRESENT
                || ticker.nanoTime() - retireByNanos >= 0)) {
            log.info("{}: leaving {} now that {} holds us ({})", id, retiring.endpoint(), attachment.endpoint(),
                    attachment.presence().state());
            leave(retiring);
            retiring = null;
        }
    }

    /** The preferred datacenter that answers now, or the first one when none does (the presence retries). */
    private int firstReachable() {
        for (int i = 0; i < agents.size(); i++) {
            if (reachable(agents.get(i))) {
                return i;
            }
            log.info("{}: datacenter at {} does not answer, trying the next", id, agents.get(i));
        }
        return 0;
    }

    private boolean reachable(ConsulEndpoint endpoint) {
        Consul consul = shared != null ? shared.client(endpoint) : endpoint.client();
        try {
            return !consul.statusClient().getLeader().isBlank();
        } catch (RuntimeException e) {
            return false;
        } finally {
            if (shared == null) {
                consul.destroy();
            }
        }
    }

    /** Closes {@code old} on its own thread, then makes sure our instance is gone from that agent. */
    private void leave(Attachment old) {
        Thread thread = Thread.ofVirtual().name("host-agent-leave").unstarted(() -> {
            old.close();
            deregisterWhenBack(old.endpoint());
        });
        leaving.put(old.endpoint(), thread);
        thread.start();
    }

    /**
     * Deregisters our service at {@code endpoint} until the agent says it is gone (200, or 404: it
     * does not know us), with back-off up to a minute; stops when interrupted (we attach there again,
     * or close) or after {@link #LEAVE_FOR}.
     */
    private void deregisterWhenBack(ConsulEndpoint endpoint) {
        long until = ticker.nanoTime() + LEAVE_FOR.toNanos();
        io.edgemanifest.core.presence.Backoff backoff = new io.edgemanifest.core.presence.Backoff(
                Duration.ofSeconds(1), Duration.ofMinutes(1));
        Consul consul = shared != null ? shared.client(endpoint) : endpoint.client(Duration.ofSeconds(10));
        try {
            while (!Thread.currentThread().isInterrupted() && ticker.nanoTime() - until < 0) {
                try {
                    endpoint.token().runAs(() -> consul.agentClient().deregister(id));
                    if (backoff.attempts() > 0) {
                        log.info("{}: deregistered from {}, which did not answer when we left it", id, endpoint);
                    }
                    return;
                } catch (RuntimeException e) {
                    if (e instanceof org.kiwiproject.consul.ConsulException ce && ce.getCode() == 404) {
                        return; // it does not know us: restarted empty, or its reaper was first
                    }
                    if (io.edgemanifest.core.consul.ConsulErrors.isPermissionDenied(e)) {
                        return; // it refuses our token (why we left): nothing we may do there
                    }
                    if (Thread.currentThread().isInterrupted()) {
                        return;
                    }
                    if (backoff.attempts() == 0) {
                        log.info("{}: {} still holds our old instance and does not answer ({}): deregistering when it does",
                                id, endpoint, io.edgemanifest.core.Errors.rootMessage(e));
                    }
                }
                try {
                    Thread.sleep(backoff.next()); // retry pacing on our own virtual thread
                } catch (InterruptedException e) {
                    return;
                }
            }
        } finally {
            if (shared == null) {
                consul.destroy();
            }
            leaving.remove(endpoint, Thread.currentThread());
        }
    }

    private void attach(int index, String gateway) {
        ConsulEndpoint endpoint = agents.get(index);
        if (retiring != null && sameAgent(retiring.endpoint(), endpoint)) {
            // Back to the agent a move is leaving: its instance is ours again (the new presence
            // registers over it and replaces its session), so it must not be deregistered.
            retiring.releaseWatch();
            retiring = null;
        }
        for (ConsulEndpoint left : List.copyOf(leaving.keySet())) {
            Thread stillLeaving = sameAgent(left, endpoint) ? leaving.remove(left) : null;
            if (stillLeaving == null) {
                continue;
            }
            // Back to an agent we had left: its late deregistration must not remove our new instance.
            stillLeaving.interrupt();
            try {
                stillLeaving.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        NodeRecord record = NodeRecord.of(id, NodeKind.HOST, config.version())
                .withLocation(config.location())
                .withLabels(config.labels());
        if (gateway != null) {
            // A move inside the datacenter keeps its gateway: the first record written there must
            // not say "no gateway" until the gateway watch answers (an UPDATED event for nothing).
            record = record.withGateway(gateway);
        }
        boolean isShared = shared != null;
        io.edgemanifest.core.consul.SessionWatch sessions = isShared ? shared.sessionWatch(endpoint) : null;
        PresenceConfig presenceConfig = presenceConfig(config, endpoint, sessions != null);
        Presence presence = Presence.create(presenceConfig, record, scheduler,
                isShared ? shared.client(endpoint) : null, ticker, sessions);
        PassingServiceWatch gateways = isShared ? shared.watch(endpoint)
                : new PassingServiceWatch(endpoint, NodeKind.GATEWAY.serviceName());
        Consumer<Map<String, Service>> listener = view -> chooseGateway(presence, view);
        attachment = new Attachment(datacenterOf.get(index), endpoint, presence, gateways, listener, isShared);
        presence.start();
        gateways.onChange(listener);
        if (!isShared) {
            gateways.start();
        }
        log.info("{}: attaching to datacenter at {}", id, endpoint);
    }

    /**
     * One Consul agent: the same URL, or two URLs a discovery knows to be the same node (the node
     * of an advertised URL comes from the catalog, of a given one from {@code /v1/agent/self}).
     */
    private boolean sameAgent(ConsulEndpoint a, ConsulEndpoint b) {
        if (a.equals(b) || a.url().equals(b.url())) {
            return true;
        }
        for (AgentDiscovery discovery : discoveries) {
            String node = discovery == null ? null : discovery.nodeOf(a.url());
            if (node != null && node.equals(discovery.nodeOf(b.url()))) {
                return true;
            }
        }
        return false;
    }

    /** Rendezvous choice among passing gateways; a host with none stays present with gateway null. */
    private void chooseGateway(Presence presence, Map<String, Service> passing) {
        String chosen = Rendezvous.choose(id, passing.keySet()).orElse(null);
        String current = presence.record().gateway();
        if (!Objects.equals(chosen, current)) {
            log.info("{}: gateway {} -> {} ({} passing)", id, current, chosen, passing.size());
            presence.update(r -> r.withGateway(chosen));
        }
    }

    private void supervise() {
        try {
            superviseOnce();
        } catch (RuntimeException e) {
            // An exception would cancel the fixed-delay schedule: the host would never migrate again.
            log.warn("{}: supervision failed, retrying next second", id, e);
        }
    }

    private void superviseOnce() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            retireIfDone();
            if (agents.size() < 2) {
                return;
            }
            Duration down = attachment.presence().unreachableFor();
            if (down.compareTo(migrateAfter) >= 0) {
                // Not found (a discovered agent that is gone): the first choice is next.
                int next = (agents.indexOf(attachment.endpoint()) + 1) % agents.size();
                log.warn("{}: datacenter at {} unreachable or refusing us for {} s: migrating to {}", id, attachment.endpoint(),
                        down.toSeconds(), agents.get(next));
                // Leaving may hang on a dead agent, so it must not delay arriving; if it fails, our
                // session there dies with our TTL check and we deregister once the agent answers again.
                leave(attachment);
                attach(next, null);
            }
        }
    }

    /** The presence in the datacenter attached now (for tests and status). */
    public Presence presence() {
        synchronized (lock) {
            return attachment.presence();
        }
    }

    public Optional<ConsulEndpoint> attachedTo() {
        synchronized (lock) {
            return Optional.ofNullable(attachment).map(Attachment::endpoint);
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            if (supervisor != null) {
                supervisor.cancel(false);
            }
            if (pendingMove != null) {
                pendingMove.cancel(false);
            }
            if (attachment != null) {
                attachment.close();
            }
            if (retiring != null) {
                retiring.close();
                retiring = null;
            }
            for (int dc = 0; dc < discoveries.size(); dc++) {
                AgentDiscovery discovery = discoveries.get(dc);
                if (discovery == null) {
                    continue;
                }
                if (discoveryListeners.get(dc) != null) {
                    discovery.removeListener(discoveryListeners.get(dc));
                }
                if (ownDiscoveries.contains(discovery)) {
                    discovery.close(); // ours, not the pool's
                }
            }
            leaving.values().forEach(Thread::interrupt);
            leaving.clear();
        }
        if (ownsScheduler) {
            scheduler.shutdownNow();
        }
    }
}
