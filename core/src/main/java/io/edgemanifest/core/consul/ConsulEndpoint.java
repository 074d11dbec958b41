package io.edgemanifest.core.consul;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.ConnectionPool;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.config.CacheConfig;
import org.kiwiproject.consul.config.ClientConfig;

/**
 * One Consul agent's HTTP API, with the ACL token (possibly none) and, for {@code https://}, the
 * certificate authority to trust (null: the JVM's). Validated at construction, so a malformed
 * {@code --consul} value is rejected before anything starts. The token is a shared mutable holder:
 * every client built here reads it per request, so rotating it needs no new client.
 */
public record ConsulEndpoint(URI url, ConsulToken token, Path caFile) {

    public ConsulEndpoint {
        Objects.requireNonNull(url, "url");
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new IllegalArgumentException("invalid Consul URL '" + url + "' (use http://host:port)");
        }
        if (url.getHost() == null || url.getHost().isEmpty()) {
            throw new IllegalArgumentException("invalid Consul URL '" + url + "': no host");
        }
        token = token == null ? ConsulToken.none() : token;
        if (caFile != null && !Files.isReadable(caFile)) {
            throw new IllegalArgumentException("invalid --consul-ca-file '" + caFile + "': not a readable file");
        }
    }

    /** Parses {@code http://host:port}; throws {@link IllegalArgumentException} naming the value. */
    public static ConsulEndpoint parse(String text, String token) {
        return parse(text, ConsulToken.of(token), null);
    }

    /** Parses {@code http(s)://host:port} with a token holder (shared by every endpoint of a node). */
    public static ConsulEndpoint parse(String text, ConsulToken token, Path caFile) {
        try {
            return new ConsulEndpoint(new URI(text.strip()), token, caFile);
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalArgumentException("invalid Consul URL '" + text + "' (use http://host:port)");
        }
    }

    public boolean isHttps() {
        return "https".equals(url.getScheme());
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
        return client(readTimeout, new ClientConfig(), idleConnections, true);
    }

    private Consul client(Duration readTimeout, ClientConfig clientConfig, int idleConnections) {
        return client(readTimeout, clientConfig, idleConnections, false);
    }

    /**
     * @param threadBound a client shared by nodes that each hold their own token (virtual hosts):
     *                    each request carries the token its caller bound with
     *                    {@link ConsulToken#runAs}, else this endpoint's
     */
    private Consul client(Duration readTimeout, ClientConfig clientConfig, int idleConnections, boolean threadBound) {
        Consul.Builder builder = Consul.builder()
                .withUrl(url.toString())
                .withPing(false)
                .withConnectTimeoutMillis(2_000)
                .withReadTimeoutMillis(readTimeout.toMillis())
                .withWriteTimeoutMillis(10_000)
                .withConnectionPool(new ConnectionPool(idleConnections, 1, java.util.concurrent.TimeUnit.MINUTES))
                .withClientConfiguration(clientConfig);
        // Read per request: a rotated token is used from the next request on.
        // OkHttp refuses a null header value: an empty token is Consul's anonymous token.
        ConsulToken own = token;
        builder.withTokenAuth(() -> {
            ConsulToken bound = threadBound ? ConsulToken.bound() : null;
            String secret = (bound != null ? bound : own).get();
            return secret == null ? "" : secret;
        });
        if (isHttps() && caFile != null) {
            X509TrustManager trust = trustManager(caFile);
            builder.withSslContext(sslContext(trust)).withTrustManager(trust);
        }
        return builder.build();
    }

    /** Trusts exactly the certificates in {@code caFile} (PEM), as Consul's own {@code ca_file} does. */
    public static X509TrustManager trustManager(Path caFile) {
        try (InputStream in = Files.newInputStream(caFile)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int i = 0;
            for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                store.setCertificateEntry("ca-" + i++, cert);
            }
            if (i == 0) {
                throw new IllegalArgumentException("invalid --consul-ca-file '" + caFile + "': no certificate in it");
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (var manager : factory.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    return x509;
                }
            }
            throw new IllegalStateException("no X.509 trust manager in this JVM");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("invalid --consul-ca-file '" + caFile + "': " + e.getMessage());
        }
    }

    private static SSLContext sslContext(X509TrustManager trust) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {trust}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS", e);
        }
    }

    /**
     * Endpoints are the same agent when URL and CA are: the token is a credential, not part of the
     * address (virtual hosts with a token each share one client and one gateway watch per agent).
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof ConsulEndpoint e && url.equals(e.url) && Objects.equals(caFile, e.caFile);
    }

    @Override
    public int hashCode() {
        return Objects.hash(url, caFile);
    }

    @Override
    public String toString() {
        return url.toString();
    }
}
