package io.edgemanifest.gateway;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.PassingServiceWatch;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.ServingNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.kiwiproject.consul.model.health.Service;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Gateway: serves gRPC health, is present in its Stargate datacenter with a gRPC check, and keeps
 * the number of passing hosts attached to it in its record — rewritten at most every
 * {@link GatewayConfig#countInterval()}, because thousands of hosts re-picking must not turn into
 * thousands of KV writes.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final String id;
    private final ServingNode node;
    private final PassingServiceWatch hosts;
    private final ScheduledExecutorService scheduler;
    private volatile int attached;
    private int published = -1;
    private Instant lastPublished = Instant.MIN;
    private boolean closed;

    public Gateway(GatewayConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.id = NodeIdentity.loadOrCreate(config.stateDir(), NodeKind.GATEWAY);
        HealthServer server = HealthServer.builder(new HealthServer.Config(config.bind(), config.grpcPort())).build();
        this.node = new ServingNode(server, config.advertiseHost(), config.advertisePort(),
                NodeRecord.of(id, NodeKind.GATEWAY, config.version()).withAttachedHosts(0),
                PresenceConfig.Builder.of(config.endpoint(), config.deregisterAfter()));
        this.hosts = new PassingServiceWatch(config.endpoint(), NodeKind.HOST.serviceName());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gateway-hosts");
            t.setDaemon(true);
            return t;
        });
    }

    public String id() {
        return id;
    }

    public Gateway start() {
        node.start();
        hosts.onChange(this::countAttached).start();
        long tick = Math.max(100, config.countInterval().toMillis() / 5);
        scheduler.scheduleWithFixedDelay(this::publishCount, tick, tick, TimeUnit.MILLISECONDS);
        return this;
    }

    private void countAttached(Map<String, Service> passingHosts) {
        attached = (int) passingHosts.values().stream()
                .filter(s -> id.equals(s.getMeta() == null ? null : s.getMeta().get("gateway")))
                .count();
    }

    private synchronized void publishCount() {
        int now = attached;
        if (closed || now == published
                || Instant.now().isBefore(lastPublished.plus(config.countInterval()))) {
            return;
        }
        log.debug("{}: {} hosts attached", id, now);
        node.update(r -> r.withAttachedHosts(now));
        published = now;
        lastPublished = Instant.now();
    }

    public ServingNode node() {
        return node;
    }

    public int grpcPort() {
        return node.grpcPort();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        scheduler.shutdownNow();
        hosts.close();
        node.close();
    }

    /** Validated gateway configuration. */
    public record GatewayConfig(ConsulEndpoint endpoint, java.nio.file.Path stateDir, String bind, int grpcPort,
                                String advertiseHost, Integer advertisePort, Duration deregisterAfter,
                                Duration countInterval, String version) {
        public GatewayConfig {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(stateDir, "stateDir");
            new HealthServer.Config(bind, grpcPort); // validates bind and port
            if (advertiseHost == null || advertiseHost.isBlank()) {
                throw new IllegalArgumentException("advertised host must not be empty");
            }
            if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
                throw new IllegalArgumentException("--deregister-after must be at least 1m: " + deregisterAfter.toSeconds() + "s");
            }
            if (countInterval.isNegative() || countInterval.isZero()) {
                throw new IllegalArgumentException("count interval must be positive: " + countInterval);
            }
        }
    }
}
