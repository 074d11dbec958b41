package io.edgemanifest.core.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gRPC server that always carries the standard health service ({@code grpc.health.v1.Health})
 * next to the node's own services.
 *
 * <pre>{@code
 * try (HealthServer server = HealthServer.builder(new HealthServer.Config("127.0.0.1", 0))
 *         .addService(myService).build().start()) {
 *     int port = server.port();
 *     ...
 * }
 * }</pre>
 *
 * The overall status (service name {@code ""}) is NOT_SERVING until {@link #start()} has bound the
 * port, SERVING afterwards, and NOT_SERVING again from {@link #markNotServing()} or {@link #close()}
 * on — so a Consul gRPC check or a watching client sees the node go away before its port does.
 */
public final class HealthServer implements AutoCloseable {

    /** How long {@link #close()} lets in-flight calls finish before cancelling them. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);

    private static final Logger log = LoggerFactory.getLogger(HealthServer.class);

    /**
     * Where to listen.
     *
     * @param host the address to bind, e.g. {@code 127.0.0.1} or {@code 0.0.0.0}
     * @param port the port to bind, or 0 to let the system pick a free one (see {@link #port()})
     * @param tlsCert PEM certificate chain to serve TLS with, or null for plaintext
     * @param tlsKey  its PEM (PKCS#8) private key, or null
     */
    public record Config(String host, int port, java.nio.file.Path tlsCert, java.nio.file.Path tlsKey) {
        public Config {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("invalid gRPC host '" + host + "': must not be empty");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("invalid gRPC port " + port + ": must be 0 (any free port) to 65535");
            }
            if ((tlsCert == null) != (tlsKey == null)) {
                throw new IllegalArgumentException("--tls-cert and --tls-key go together");
            }
            for (java.nio.file.Path file : new java.nio.file.Path[] {tlsCert, tlsKey}) {
                if (file != null && !java.nio.file.Files.isReadable(file)) {
                    throw new IllegalArgumentException("invalid TLS file '" + file + "': not a readable file");
                }
            }
        }

        public Config(String host, int port) {
            this(host, port, null, null);
        }

        public boolean tls() {
            return tlsCert != null;
        }
    }

    /** Collects the services a {@link HealthServer} serves beside health. */
    public static final class Builder {
        private final Config config;
        private final List<BindableService> services = new ArrayList<>();

        private Builder(Config config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        public Builder addService(BindableService service) {
            services.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /** The server, not started yet. */
        public HealthServer build() {
            return new HealthServer(config, services);
        }
    }

    private final Config config;
    private final HealthStatusManager health = new HealthStatusManager();
    private final Server server;
    private boolean started;
    private boolean closed;
    private volatile int boundPort = -1;

    public static Builder builder(Config config) {
        return new Builder(config);
    }

    /** A server for {@code config} serving health plus {@code services}; not started yet. */
    public HealthServer(Config config, List<? extends BindableService> services) {
        this.config = Objects.requireNonNull(config, "config");
        // HealthStatusManager starts out reporting SERVING for "": a client that reached us between
        // bind and the end of start() would believe a half-started node. Say NOT_SERVING until then.
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        NettyServerBuilder builder = NettyServerBuilder
                .forAddress(new InetSocketAddress(config.host(), config.port()), credentials(config))
                .addService(health.getHealthService());
        services.forEach(builder::addService);
        this.server = builder.build();
    }

    private static io.grpc.ServerCredentials credentials(Config config) {
        if (!config.tls()) {
            return io.grpc.InsecureServerCredentials.create();
        }
        try {
            return io.grpc.TlsServerCredentials.create(config.tlsCert().toFile(), config.tlsKey().toFile());
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("invalid --tls-cert/--tls-key (" + config.tlsCert() + ", "
                    + config.tlsKey() + "): " + e.getMessage());
        }
    }

    /** Binds the port, then reports SERVING. */
    public synchronized HealthServer start() throws IOException {
        if (closed) {
            throw new IllegalStateException("health server on " + config.host() + ":" + config.port() + " is closed");
        }
        if (started) {
            return this;
        }
        server.start();
        started = true;
        boundPort = server.getPort();
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
        log.info("gRPC server listening on {}:{}{}, health SERVING", config.host(), boundPort, config.tls() ? " (TLS)" : "");
        return this;
    }

    /** The bound port (the picked one when configured with port 0). */
    public int port() {
        int port = boundPort;
        if (port < 0) {
            throw new IllegalStateException("health server is not started");
        }
        return port;
    }

    public Config config() {
        return config;
    }

    /** Reports NOT_SERVING (e.g. while draining) and keeps serving calls. */
    public void markNotServing() {
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        log.info("gRPC health on {}:{} now NOT_SERVING", config.host(), boundPort);
    }

    /**
     * Reports NOT_SERVING for good, then shuts the server down: in-flight calls get
     * {@link #SHUTDOWN_GRACE} to finish before they are cancelled. Calling it again does nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // First, so health watchers and checks learn we are going before the port closes.
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("gRPC calls still running after {} ms on {}:{}: cancelling them",
                        SHUTDOWN_GRACE.toMillis(), config.host(), boundPort);
                server.shutdownNow();
                server.awaitTermination(SHUTDOWN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("gRPC server on {}:{} stopped", config.host(), boundPort);
    }
}
