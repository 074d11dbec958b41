package io.edgemanifest.stargate.guard;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.stargate.enrol.HostRevocation;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.State;
import org.kiwiproject.consul.model.catalog.ImmutableCatalogDeregistration;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Consul 1.8's ACLs cannot stop one host from doing to the others on a shared agent, caught
 * and undone by the Stargate of the datacenter (one blocking query on the checks, answered when one
 * changes or every 5 s, at most once per {@code interval}):
 *
 * <ul>
 *   <li><b>A forged node check</b>: service write on its own name lets a host register a check
 *       with {@code CheckID "serfHealth"}; the agent syncs it over the node's real serfHealth, so
 *       failing it would invalidate every session bound to it on that node and hide the node's
 *       death. Sessions are no longer bound to serfHealth (the presence binds its own check only),
 *       and the owner of such a check is revoked at once — its tokens, policy and service.</li>
 *   <li><b>A squatted ID</b>: a host registering another host's ID under its own name on an agent
 *       where the victim is not (yet) registered locks the victim out of that agent. Replicate and
 *       status ignore such instances (a host's service name is its ID); the squatter is revoked.</li>
 *   <li><b>A dead agent</b>: with sessions no longer bound to serfHealth, the sessions of a node
 *       whose serfHealth has been critical for {@code deadNodeGrace} are destroyed here, so the
 *       records of hosts that died with their agent still vanish (a flapping agent, critical for a
 *       moment, costs nobody their session).</li>
 * </ul>
 */
public final class NodeGuard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NodeGuard.class);

    private final Consul consul;
    private final AclAdmin acl;
    private final Duration interval;
    private final Duration deadNodeGrace;
    private final Clock clock;
    /** Monotonic: a wall clock stepped forward at boot must not cut a node's grace short (nor back, stretch it). */
    private final io.edgemanifest.core.time.Ticker ticker;
    private final Map<String, Long> criticalSinceNanos = new HashMap<>();
    private final Set<String> reaped = new HashSet<>();
    private final Set<String> revoked = new HashSet<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-guard");
        t.setDaemon(true);
        return t;
    });
    private String lastProblem;
    private java.math.BigInteger index = java.math.BigInteger.ZERO;
    /** Longest wait of one sweep's blocking query: within the client's 10 s read timeout. */
    private static final Duration WAIT = Duration.ofSeconds(5);

    /**
     * @param consul        a client with the stargate's token (acl write, host service write, session write)
     * @param deadNodeGrace how long a node's serfHealth must stay critical before its sessions are destroyed
     */
    public NodeGuard(Consul consul, AclAdmin acl, Duration interval, Duration deadNodeGrace, Clock clock) {
        this(consul, acl, interval, deadNodeGrace, clock, io.edgemanifest.core.time.Ticker.SYSTEM);
    }

    /** @param clock dates revocations; {@code ticker} times the grace of dead nodes */
    public NodeGuard(Consul consul, AclAdmin acl, Duration interval, Duration deadNodeGrace, Clock clock,
                     io.edgemanifest.core.time.Ticker ticker) {
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.consul = Objects.requireNonNull(consul, "consul");
        this.acl = Objects.requireNonNull(acl, "acl");
        this.interval = interval;
        this.deadNodeGrace = deadNodeGrace;
        this.clock = clock;
    }

    public NodeGuard start() {
        scheduler.scheduleWithFixedDelay(this::sweepSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    private void sweepSafely() {
        try {
            sweep();
            lastProblem = null;
        } catch (RuntimeException e) {
            index = java.math.BigInteger.ZERO;
            String problem = Errors.rootMessage(e);
            if (!problem.equals(lastProblem)) {
                log.warn("node guard: sweep failed ({}), retrying every {} ms", problem, interval.toMillis());
                lastProblem = problem;
            }
        }
    }

    /** One pass; package-visible for tests. */
    void sweep() {
        // A blocking query: a datacenter of 10,000 hosts answers only when a check changes (a TTL
        // pass with unchanged output does not), or every WAIT so a dead node's grace can run out.
        var options = ImmutableQueryOptions.builder().filter("CheckID == \"serfHealth\" or ServiceTags contains \"host\"");
        if (index.signum() > 0) {
            options.wait(WAIT.toSeconds() + "s").index(index);
        }
        var response = consul.healthClient().getChecksByState(State.ANY, options.build());
        java.math.BigInteger next = response.getIndex() == null ? java.math.BigInteger.ZERO : response.getIndex();
        index = next.compareTo(index) < 0 ? java.math.BigInteger.ZERO : next;
        List<HealthCheck> checks = response.getResponse();
        long now = ticker.nanoTime();
        Set<String> critical = new HashSet<>();
        for (HealthCheck check : checks) {
            String serviceId = check.getServiceId().orElse("");
            String serviceName = check.getServiceName().orElse("");
            if ("serfHealth".equals(check.getCheckId()) && !serviceId.isEmpty()) {
                punish(serviceName, serviceId, check.getNode(), "registered a check named serfHealth, which "
                        + "would stand for node " + check.getNode() + "'s own");
            } else if ("serfHealth".equals(check.getCheckId())) {
                if (!"passing".equals(check.getStatus())) {
                    critical.add(check.getNode());
                }
            } else if (check.getServiceTags().contains(NodeKind.HOST.tag()) && !serviceId.equals(serviceName)) {
                punish(serviceName, serviceId, check.getNode(), "registered service ID " + serviceId
                        + " under its own name");
            }
        }
        criticalSinceNanos.keySet().retainAll(critical);
        reaped.retainAll(critical);
        for (String node : critical) {
            long since = criticalSinceNanos.computeIfAbsent(node, n -> now);
            if (!reaped.contains(node) && now - since >= deadNodeGrace.toNanos()) {
                reapSessions(node);
                reaped.add(node);
            }
        }
    }

    /** The owner of a forged instance loses everything; an instance no host owns is just removed. */
    private void punish(String owner, String serviceId, String node, String what) {
        if (NodeIdentity.isValid(owner, NodeKind.HOST)) {
            if (revoked.add(owner)) {
                log.error("node guard: host {} {}: revoking it", owner, what);
                HostRevocation revocation = HostRevocation.revoke(consul, acl, owner, clock.instant());
                if (!revocation.complete()) {
                    revoked.remove(owner); // try again next sweep
                    log.warn("node guard: revocation of {} incomplete: {}", owner, revocation.left());
                }
            }
            return;
        }
        // A gateway or stargate token did it: we cannot tell whose; remove the instance and say so.
        log.error("node guard: service {} ({}) on node {} {}: deregistering it; find and revoke the token that did",
                serviceId, owner, node, what);
        consul.catalogClient().deregister(ImmutableCatalogDeregistration.builder().node(node).serviceId(serviceId).build());
    }

    private void reapSessions(String node) {
        var sessions = consul.sessionClient().listSessions().stream().filter(s -> node.equals(s.getNode())).toList();
        log.warn("node guard: node {} has been failing its serfHealth for {} s: destroying its {} session(s) "
                + "(their records die with it)", node, deadNodeGrace.toSeconds(), sessions.size());
        for (var session : sessions) {
            consul.sessionClient().destroySession(session.getId());
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
