package io.edgemanifest.gateway;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.ServingNode;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.gateway.drain.DrainSecret;
import io.edgemanifest.gateway.drain.DrainService;
import io.edgemanifest.gateway.drain.DrainStatus;
import io.edgemanifest.gateway.drain.Drainer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Objects;

/**
 * A Gateway: serves gRPC health and is present in its Stargate datacenter with a gRPC check. It
 * does not count its hosts: a count rewritten into its record made an UPDATED event every few
 * seconds downstream and needed a view of every host; the Explorer and {@code stargate status}
 * derive it where it is shown.
 *
 * <p>Closing drains first (see {@link Drainer}): NOT_SERVING, wait until no host names this gateway
 * (bounded by the drain timeout), then leave. {@link #stopWaiting()} (a second signal) cuts the
 * wait short.
 */
public final class Gateway implements AutoCloseable, Lifecycle.Hurried {

    /** How long a stop waits for the hosts to move by default: {@code --drain-timeout}. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(60);

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Gateway.class);

    private final String id;
    private final ServingNode node;
    private final Drainer drainer;
    private boolean started;

    public Gateway(GatewayConfig config) {
        Objects.requireNonNull(config, "config");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.GATEWAY);
        // The drain service is part of the server the node is built on: the drainer reaches the
        // node's NOT_SERVING through a method, the node being assigned below (and the server serves
        // drains only once started).
        this.drainer = new Drainer(id, config.endpoint(), config.drainTimeout(), this::markNotServing);
        // A new secret every start, before the server serves: only who can read the state dir drains.
        DrainSecret secret = DrainSecret.create(config.stateDir());
        HealthServer server = HealthServer.builder(config.server())
                .addService(new DrainService(id, drainer, secret).localOnly()).build();
        this.node = new ServingNode(server, config.advertiseHost(), config.advertisePort(),
                NodeRecord.of(id, NodeKind.GATEWAY, config.version()),
                PresenceConfig.Builder.of(config.endpoint(), config.deregisterAfter()), config.tlsCheckSkipVerify());
    }

    public String id() {
        return id;
    }

    private void markNotServing() {
        node.markNotServing();
    }

    public Gateway start() {
        node.start();
        synchronized (this) {
            started = true;
        }
        return this;
    }

    /** Drains (or joins the drain running) and returns its end; the gateway stays up, NOT_SERVING. */
    public java.util.concurrent.CompletableFuture<DrainStatus> drain() {
        return drainer.drain(null);
    }

    public ServingNode node() {
        return node;
    }

    public int grpcPort() {
        return node.grpcPort();
    }

    /** A second stop signal: a drain in progress ends now and the gateway leaves. */
    @Override
    public void stopWaiting() {
        drainer.abort();
    }

    /** Drains, then leaves: session destroyed (the key vanishes), deregistered, server stopped. */
    @Override
    public void close() {
        boolean drain;
        synchronized (this) {
            drain = started;
            started = false;
        }
        if (drain) {
            // Bounded: the drain ends by its timeout, but a drain gone wrong must not hold the stop
            // until systemd's SIGKILL (which leaves the service registered and the key to expire).
            Duration bound = drainer.timeout().plus(Drainer.STOP_MARGIN);
            try {
                drainer.drain(null).get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.info("{}: interrupted while draining: leaving now", id);
            } catch (ExecutionException e) {
                log.warn("{}: drain failed, leaving now: {}", id, e.getCause().toString());
            } catch (TimeoutException e) {
                log.warn("{}: drain did not end within {} s: leaving now", id, bound.toSeconds());
            }
        }
        drainer.close();
        node.close();
    }

    /**
     * Validated gateway configuration.
     *
     * @param server             where to listen, and the TLS certificate if gRPC is served over TLS
     * @param tlsCheckSkipVerify Consul's TLS probe does not verify the certificate
     * @param drainTimeout       how long a stop waits for the hosts to move to other gateways (0: not at all)
     */
    public record GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, HealthServer.Config server,
                                String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                                boolean tlsCheckSkipVerify, Duration drainTimeout) {

        /** The longest drain timeout accepted: a stop that waits longer is a hung redeploy. */
        public static final Duration MAX_DRAIN_TIMEOUT = Duration.ofHours(1);

        /** Plaintext gRPC on {@code bind:grpcPort}, the default drain timeout. */
        public GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, String bind, int grpcPort,
                             String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version) {
            this(endpoint, stateDir, new HealthServer.Config(bind, grpcPort), advertiseHost, advertisePort,
                    deregisterAfter, version, false, DEFAULT_DRAIN_TIMEOUT);
        }

        /** The default drain timeout. */
        public GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, HealthServer.Config server,
                             String advertiseHost, Integer advertisePort, Duration deregisterAfter, String version,
                             boolean tlsCheckSkipVerify) {
            this(endpoint, stateDir, server, advertiseHost, advertisePort, deregisterAfter, version, tlsCheckSkipVerify,
                    DEFAULT_DRAIN_TIMEOUT);
        }

        /** The same, with another drain timeout. */
        public GatewayConfig withDrainTimeout(Duration timeout) {
            return new GatewayConfig(endpoint, stateDir, server, advertiseHost, advertisePort, deregisterAfter, version,
                    tlsCheckSkipVerify, timeout);
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
            if (drainTimeout == null || drainTimeout.isNegative() || drainTimeout.compareTo(MAX_DRAIN_TIMEOUT) > 0) {
                throw new IllegalArgumentException("invalid --drain-timeout '"
                        + (drainTimeout == null ? null : io.edgemanifest.core.cli.Durations.format(drainTimeout))
                        + "' (0s to 1h)");
            }
        }
    }
}
