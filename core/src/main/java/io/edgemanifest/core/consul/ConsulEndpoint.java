package io.edgemanifest.core.consul;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;
import okhttp3.ConnectionPool;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.config.CacheConfig;
import org.kiwiproject.consul.config.ClientConfig;

/**
 * One Consul agent's HTTP API, with the optional ACL token. Validated at construction, so a
 * malformed {@code --consul} value is rejected before anything starts.
 */
public record ConsulEndpoint(URI url, String token) {

    public ConsulEndpoint {
        Objects.requireNonNull(url, "url");
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException("invalid Consul URL '" + url + "' (use http://host:port)");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("invalid Consul URL '" + url + "': no host");
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** Parses {@code http://host:port}; throws {@link IllegalArgumentException} naming the value. */
    public static ConsulEndpoint parse(String text, String token) {
        try {
            return new ConsulEndpoint(new URI(text.strip()), token);
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalArgumentException("invalid Consul URL '" + text + "' (use http://host:port)");
        }
    }

    /**
     * A client for short requests (registration, heartbeats, KV): fails fast when Consul is down so
     * the caller's back-off, not a socket timeout, decides the pace. Never pings on construction:
     * building a client must not fail because Consul blinked.
     */
    public Consul client() {
        return client(Duration.ofSeconds(10));
    }

    /**
     * A client for blocking queries of up to {@code maxWait}: its read timeout outlasts the wait
     * (Consul adds up to wait/16 of jitter), and its caches retry quickly after Consul comes back.
     */
    public Consul watchClient(Duration maxWait) {
        CacheConfig cache = CacheConfig.builder()
                .withWatchDuration(maxWait)
                .withBackOffDelay(Duration.ofMillis(250), Duration.ofSeconds(5))
                .withTimeoutAutoAdjustmentEnabled(true)
                .withRefreshErrorLoggedAs((logger, message, error) -> logger.debug(message, error))
                .build();
        return client(maxWait.plus(maxWait.dividedBy(16)).plusSeconds(10), new ClientConfig(cache), 5);
    }

    /** A client for short requests that must not hang longer than {@code readTimeout} on a hung agent. */
    public Consul client(Duration readTimeout) {
        return client(readTimeout, new ClientConfig(), 5);
    }

    /**
     * One client for many nodes in one JVM (virtual hosts): requests are synchronous, so it opens
     * at most one connection per calling thread; keeping {@code idleConnections} of them avoids
     * reconnecting on every tick. Consul refuses more than 200 connections per client address by
     * default ({@code limits.http_max_conns_per_client}), which one client per node soon exceeds.
     */
    public Consul sharedClient(Duration readTimeout, int idleConnections) {
        return client(readTimeout, new ClientConfig(), idleConnections);
    }

    private Consul client(Duration readTimeout, ClientConfig clientConfig, int idleConnections) {
        Consul.Builder builder = Consul.builder()
                .withUrl(url.toString())
                .withPing(false)
                .withConnectTimeoutMillis(2_000)
                .withReadTimeoutMillis(readTimeout.toMillis())
                .withWriteTimeoutMillis(10_000)
                .withConnectionPool(new ConnectionPool(idleConnections, 1, java.util.concurrent.TimeUnit.MINUTES))
                .withClientConfiguration(clientConfig);
        if (token != null) {
            builder.withAclToken(token);
        }
        return builder.build();
    }

    @Override
    public String toString() {
        return url.toString();
    }
}
