package io.edgemanifest.stargate;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulErrors;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.Backoff;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.ServingNode;
import io.edgemanifest.stargate.enrol.EnrolmentCa;
import io.edgemanifest.stargate.enrol.EnrolmentServer;
import io.edgemanifest.stargate.enrol.EnrolmentService;
import io.edgemanifest.stargate.enrol.EnrolmentStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.kiwiproject.consul.Consul;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Stargate: one per region, next to its own Consul datacenter. Serves gRPC health and
 * {@code Stargate.Status}, and is present in its datacenter with a gRPC check. It refuses to run
 * against a Consul of another datacenter — a Stargate in the wrong region would attract its hosts.
 */
public final class Stargate implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Stargate.class);

    private final StargateConfig config;
    private final String id;
    private final ConsulStatusSource status;
    private final ServingNode node;
    private EnrolmentCa ca;
    /** Client for enrolment (ACL administration and the enrol/ KV); needs the stargate role's acl=write. */
    private final Consul enrolClient;
    private final AclAdmin acl;
    private volatile String primaryDatacenter;
    private EnrolmentServer enrolment;
    private io.edgemanifest.stargate.guard.NodeGuard guard;
    /** How often the node guard sweeps, and how long a node may fail serfHealth before its sessions go. */
    static final Duration GUARD_INTERVAL = Duration.ofSeconds(2);
    static final Duration DEAD_NODE_GRACE = Duration.ofSeconds(30);

    public Stargate(StargateConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.STARGATE);
        this.status = new ConsulStatusSource(config.endpoint());
        HealthServer server = HealthServer.builder(config.server())
                .addService(new StargateStatusService(id, status))
                .build();
        this.node = new ServingNode(server, config.advertiseHost(), config.advertisePort(),
                NodeRecord.of(id, NodeKind.STARGATE, config.version()),
                PresenceConfig.Builder.of(config.endpoint(), config.deregisterAfter()), config.tlsCheckSkipVerify());
        this.enrolClient = config.endpoint().client();
        this.acl = new AclAdmin(config.endpoint(), enrolClient);
        this.primaryDatacenter = config.primaryDatacenter();
    }

    public String id() {
        return id;
    }

    /**
     * Waits (with back-off, never giving up) until Consul answers, checks its datacenter, then serves.
     *
     * @throws IllegalArgumentException when Consul belongs to another datacenter than {@code --datacenter}
     */
    public Stargate start() {
        String actual = awaitDatacenter();
        if (!actual.equals(config.datacenter())) {
            status.close();
            enrolClient.destroy();
            throw new IllegalArgumentException("Consul at " + config.endpoint() + " is datacenter '" + actual
                    + "', not --datacenter '" + config.datacenter() + "'");
        }
        // Enrolment first: a port in use is bad config (exit 2), found before we appear in Consul.
        startEnrolment();
        node.start();
        guard = new io.edgemanifest.stargate.guard.NodeGuard(enrolClient, acl, GUARD_INTERVAL, DEAD_NODE_GRACE,
                Clock.systemUTC()).start();
        return this;
    }

    /** The TLS enrolment endpoint, with a new admin secret in the state dir. */
    private void startEnrolment() {
        // Here, not in the constructor: a Stargate refused for the wrong datacenter leaves no CA behind.
        ca = EnrolmentCa.loadOrCreate(config.stateDir(), id);
        String adminSecret = EnrolmentServer.newAdminSecret(config.stateDir());
        EnrolmentService service = new EnrolmentService(new EnrolmentStore(enrolClient), acl, config.datacenter(),
                ca.pin(), adminSecret, this::stargateDatacenters, Clock.systemUTC(), config.hostSessionNodes());
        enrolment = new EnrolmentServer(config.stateDir(), config.bind(), config.enrolPort(), ca,
                List.of(config.advertiseHost(), config.bind()), service).start();
    }

    /** Where host tokens are valid: every datacenter but the primary (the Explorer's), asked afresh each time. */
    private List<String> stargateDatacenters() {
        String primary = primaryDatacenter;
        if (primary == null) {
            // Needs agent read on the Consul agent's node; --primary-datacenter avoids it.
            primary = acl.primaryDatacenter();
            primaryDatacenter = primary;
        }
        return acl.stargateDatacenters(primary);
    }

    /** The bound enrolment port (TLS). */
    public int enrolPort() {
        if (enrolment == null) {
            throw new IllegalStateException("stargate is not started");
        }
        return enrolment.port();
    }

    /** SHA-256 of the enrolment CA certificate: what this Stargate's join tokens pin. */
    public String caPin() {
        if (ca == null) {
            throw new IllegalStateException("stargate is not started");
        }
        return ca.pin();
    }

    private String awaitDatacenter() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        Consul consul = config.endpoint().client();
        try {
            while (true) {
                try {
                    return consul.agentClient().getAgent().getConfig().getDatacenter();
                } catch (RuntimeException e) {
                    boolean refused = ConsulErrors.isPermissionDenied(e);
                    if (!ConsulErrors.isUnreachable(e) && !refused) {
                        throw e;
                    }
                    // A 403 right after a token was made: its policy may not have reached this
                    // datacenter yet (replication), or the token lacks agent read. Wait, say so once.
                    if (backoff.attempts() == 0) {
                        log.warn("{}: Consul at {} {}, waiting for it", id, config.endpoint(), refused
                                ? "refuses our token agent read (not replicated yet, or the wrong role?)" : "unreachable");
                    }
                    sleep(backoff.next());
                }
            }
        } finally {
            consul.destroy();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis()); // retry pacing, not test synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Consul", e);
        }
    }

    public ServingNode node() {
        return node;
    }

    public int grpcPort() {
        return node.grpcPort();
    }

    @Override
    public void close() {
        // Enrolment first: no host should get a token from a Stargate that is leaving.
        if (enrolment != null) {
            enrolment.close();
        }
        if (guard != null) {
            guard.close();
        }
        node.close();
        status.close();
        enrolClient.destroy();
    }

    /**
     * Validated stargate configuration.
     *
     * @param enrolPort          the TLS enrolment port (0: any free port)
     * @param primaryDatacenter  the primary datacenter, or null to ask the Consul agent
     * @param tls                the certificate and key to serve the main gRPC port over TLS, or null
     * @param tlsCheckSkipVerify Consul's TLS probe does not verify that certificate
     */
    public record StargateConfig(ConsulEndpoint endpoint, String datacenter, Path stateDir, String bind, int grpcPort,
                                 String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                                 int enrolPort, String primaryDatacenter, TlsFiles tls, boolean tlsCheckSkipVerify,
                                 String hostSessionNodes) {

        public StargateConfig(ConsulEndpoint endpoint, String datacenter, Path stateDir, String bind, int grpcPort,
                              String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                              int enrolPort, String primaryDatacenter, TlsFiles tls, boolean tlsCheckSkipVerify) {
            this(endpoint, datacenter, stateDir, bind, grpcPort, advertiseHost, advertisePort, deregisterAfter, version,
                    enrolPort, primaryDatacenter, tls, tlsCheckSkipVerify, "");
        }

        /** Certificate and key files of a TLS server. */
        public record TlsFiles(Path cert, Path key) {
        }

        /** Plaintext main gRPC port. */
        public StargateConfig(ConsulEndpoint endpoint, String datacenter, Path stateDir, String bind, int grpcPort,
                              String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                              int enrolPort, String primaryDatacenter) {
            this(endpoint, datacenter, stateDir, bind, grpcPort, advertiseHost, advertisePort, deregisterAfter, version,
                    enrolPort, primaryDatacenter, null, false);
        }

        /** Where the main gRPC port listens, over TLS when configured. */
        public HealthServer.Config server() {
            return tls == null ? new HealthServer.Config(bind, grpcPort)
                    : new HealthServer.Config(bind, grpcPort, tls.cert(), tls.key());
        }

        /** Enrolment on any free port, primary datacenter asked from Consul. */
        public StargateConfig(ConsulEndpoint endpoint, String datacenter, Path stateDir, String bind, int grpcPort,
                              String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version) {
            this(endpoint, datacenter, stateDir, bind, grpcPort, advertiseHost, advertisePort, deregisterAfter, version,
                    0, null);
        }

        public StargateConfig {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(stateDir, "stateDir");
            if (datacenter == null || !datacenter.matches("[a-zA-Z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("invalid --datacenter '" + datacenter + "'");
            }
            // Validates bind, port and the TLS files.
            new HealthServer.Config(bind, grpcPort, tls == null ? null : tls.cert(), tls == null ? null : tls.key());
            if (advertiseHost == null || advertiseHost.isBlank()) {
                throw new IllegalArgumentException("advertised host must not be empty");
            }
            if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("--deregister-after must be at least 1m: " + deregisterAfter.toSeconds() + "s");
            }
            hostSessionNodes = io.edgemanifest.core.acl.AclPolicies.requireNodePrefix(
                    hostSessionNodes == null ? "" : hostSessionNodes.strip());
            if (enrolPort < 0 || enrolPort > 65_535) {
                throw new IllegalArgumentException("invalid --enrol-port " + enrolPort + ": must be 0 (any free port) to 65535");
            }
            if (enrolPort != 0 && enrolPort == grpcPort) {
                throw new IllegalArgumentException("--enrol-port " + enrolPort + " is also --grpc-port: give each its own");
            }
            if (primaryDatacenter != null && primaryDatacenter.isBlank()) {
                primaryDatacenter = null;
            }
            if (primaryDatacenter != null && !primaryDatacenter.matches("[a-zA-Z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("invalid --primary-datacenter '" + primaryDatacenter + "'");
            }
        }
    }
}
