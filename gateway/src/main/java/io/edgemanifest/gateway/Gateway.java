package io.edgemanifest.gateway;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.ServingNode;
import java.time.Duration;
import java.util.Objects;

/**
 * A Gateway: serves gRPC health and is present in its Stargate datacenter with a gRPC check. It
 * does not count its hosts: a count rewritten into its record made an UPDATED event every few
 * seconds downstream and needed a view of every host; the Explorer and {@code stargate status}
 * derive it where it is shown.
 */
public final class Gateway implements AutoCloseable {

    private final String id;
    private final ServingNode node;

    public Gateway(GatewayConfig config) {
        Objects.requireNonNull(config, "config");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.GATEWAY);
        HealthServer server = HealthServer.builder(config.server()).build();
        this.node = new ServingNode(server, config.advertiseHost(), config.advertisePort(),
                NodeRecord.of(id, NodeKind.GATEWAY, config.version()),
                PresenceConfig.Builder.of(config.endpoint(), config.deregisterAfter()), config.tlsCheckSkipVerify());
    }

    public String id() {
        return id;
    }

    public Gateway start() {
        node.start();
        return this;
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
    }

    /**
     * Validated gateway configuration.
     *
     * @param server             where to listen, and the TLS certificate if gRPC is served over TLS
     * @param tlsCheckSkipVerify Consul's TLS probe does not verify the certificate
     */
    public record GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, HealthServer.Config server,
                                String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                                boolean tlsCheckSkipVerify) {

        /** Plaintext gRPC on {@code bind:grpcPort}. */
        public GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, String bind, int grpcPort,
                             String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version) {
            this(endpoint, stateDir, new HealthServer.Config(bind, grpcPort), advertiseHost, advertisePort,
                    deregisterAfter, version, false);
        }

        public GatewayConfig {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(server, "server");
            if (advertiseHost == null || advertiseHost.isBlank()) {
                throw new IllegalArgumentException("advertised host must not be empty");
            }
            if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("--deregister-after must be at least 1m: " + deregisterAfter.toSeconds() + "s");
            }
        }
    }
}
