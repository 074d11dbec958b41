package io.edgemanifest.core.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Serves a Prometheus registry at {@code GET /metrics} with the JDK's built-in HTTP server: a
 * scrape endpoint needs nothing more, and a component that has no other HTTP surface should not
 * carry a web framework for it.
 */
public final class MetricsServer implements AutoCloseable {

    private final PrometheusMeterRegistry registry;
    private final HttpServer server;

    public MetricsServer(PrometheusMeterRegistry registry, String host, int port) {
        this(registry, host, port, () -> { });
    }

    /** @param beforeScrape refreshes gauges that are cheaper to compute at scrape time */
    public MetricsServer(PrometheusMeterRegistry registry, String host, int port, Runnable beforeScrape) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("invalid metrics port " + port);
        }
        this.registry = registry;
        try {
            this.server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            // A port in use or an address this machine lacks is bad configuration: exit 2, one line.
            throw new IllegalArgumentException("cannot listen for metrics on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        server.createContext("/metrics", exchange -> {
            beforeScrape.run();
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /**
     * Serves {@code registry} at {@code hostPort} ("127.0.0.1:9464"; port 0: any free port); throws
     * {@link IllegalArgumentException} naming a malformed value.
     */
    public static MetricsServer listen(PrometheusMeterRegistry registry, String hostPort, String flag) {
        return listen(registry, hostPort, flag, () -> { });
    }

    /** As {@link #listen(PrometheusMeterRegistry, String, String)}, refreshing gauges before each scrape. */
    public static MetricsServer listen(PrometheusMeterRegistry registry, String hostPort, String flag, Runnable beforeScrape) {
        int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("invalid " + flag + " '" + hostPort + "' (use host:port)");
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + flag + " '" + hostPort + "' (use host:port)");
        }
        return new MetricsServer(registry, hostPort.substring(0, colon), port, beforeScrape);
    }

    public static PrometheusMeterRegistry newRegistry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
