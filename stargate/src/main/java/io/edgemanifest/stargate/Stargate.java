package io.edgemanifest.stargate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulErrors;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.Backoff;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.ServingNode;
import java.nio.file.Path;
import java.time.Duration;
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

    public Stargate(StargateConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.STARGATE);
        this.status = new ConsulStatusSource(config.endpoint());
        HealthServer server = HealthServer.builder(new HealthServer.Config(config.bind(), config.grpcPort()))
                .addService(new StargateStatusService(id, status))
                .build();
        this.node = new ServingNode(server, config.advertiseHost(), config.advertisePort(),
                NodeRecord.of(id, NodeKind.STARGATE, config.version()),
                PresenceConfig.Builder.of(config.endpoint(), config.deregisterAfter()));
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
            throw new IllegalArgumentException("Consul at " + config.endpoint() + " is datacenter '" + actual
                    + "', not --datacenter '" + config.datacenter() + "'");
        }
        node.start();
        return this;
    }

    private String awaitDatacenter() {
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        Consul consul = config.endpoint().client();
        try {
            while (true) {
                try {
                    return consul.agentClient().getAgent().getConfig().getDatacenter();
                } catch (RuntimeException e) {
                    if (!ConsulErrors.isUnreachable(e)) {
                        throw e;
                    }
                    if (backoff.attempts() == 0) {
                        log.warn("{}: Consul at {} unreachable, waiting for it", id, config.endpoint());
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
        node.close();
        status.close();
    }

    /** Validated stargate configuration. */
    public record StargateConfig(ConsulEndpoint endpoint, String datacenter, Path stateDir, String bind, int grpcPort,
                                 String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version) {
        public StargateConfig {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(stateDir, "stateDir");
            if (datacenter == null || !datacenter.matches("[a-zA-Z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("invalid --datacenter '" + datacenter + "'");
            }
            new HealthServer.Config(bind, grpcPort); // validates bind and port
            if (advertiseHost == null || advertiseHost.isBlank()) {
                throw new IllegalArgumentException("advertised host must not be empty");
            }
            if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("--deregister-after must be at least 1m: " + deregisterAfter.toSeconds() + "s");
            }
        }
    }
}
