package io.edgemanifest.core.consul;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Objects;
import okhttp3.ConnectionPool;
import org.kiwiproject.consul.Consul;

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

    /** A client whose read timeout outlasts blocking queries of up to {@code maxWait}. */
    public Consul watchClient(Duration maxWait) {
        return client(maxWait.plus(maxWait.dividedBy(16)).plusSeconds(10));
    }

    private Consul client(Duration readTimeout) {
        Consul.Builder builder = Consul.builder()
                .withUrl(url.toString())
                .withPing(false)
                .withConnectTimeoutMillis(2_000)
                .withReadTimeoutMillis(readTimeout.toMillis())
                .withWriteTimeoutMillis(10_000)
                .withConnectionPool(new ConnectionPool(5, 1, java.util.concurrent.TimeUnit.MINUTES));
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
