package io.edgemanifest.core.consul;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.kiwiproject.consul.ConsulException;

/**
 * The few Consul requests consul-client cannot express (a session without node checks, the ACL
 * probes of discovery chains and coordinates), sent with the JDK's HTTP client: one per trust
 * anchor, shared, since these requests are rare.
 */
public final class RawConsul {

    private static final Map<Optional<Path>, HttpClient> CLIENTS = new ConcurrentHashMap<>();

    private RawConsul() {
    }

    /** The shared client for this endpoint's trust anchor ({@code --consul-ca-file}, or the JVM's). */
    public static HttpClient client(ConsulEndpoint endpoint) {
        Optional<Path> ca = Optional.ofNullable(endpoint.isHttps() ? endpoint.caFile() : null);
        return CLIENTS.computeIfAbsent(ca, anchor -> {
            HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
            anchor.ifPresent(file -> {
                try {
                    SSLContext context = SSLContext.getInstance("TLS");
                    context.init(null, new javax.net.ssl.TrustManager[] {ConsulEndpoint.trustManager(file)}, null);
                    builder.sslContext(context);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("cannot set up TLS for " + file, e);
                }
            });
            return builder.build();
        });
    }

    /**
     * {@code PUT <path>} without a body, sent with {@code token} (null: none) and its own timeout —
     * consul-client's timeout is fixed per client, and a patient retry needs a longer one.
     *
     * @return Consul's answer body
     * @throws UncheckedIOException when Consul does not answer in time (or at all)
     * @throws ConsulException      with Consul's status code when it refuses
     */
    public static String put(ConsulEndpoint endpoint, String token, String pathAndQuery, Duration timeout) {
        return send(endpoint, token, "PUT", pathAndQuery, timeout);
    }

    /** {@code GET <path>} with {@code token}; Consul's answer body, as {@link #put}. */
    public static String get(ConsulEndpoint endpoint, String token, String pathAndQuery, Duration timeout) {
        return send(endpoint, token, "GET", pathAndQuery, timeout);
    }

    private static String send(ConsulEndpoint endpoint, String token, String method, String pathAndQuery, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                + pathAndQuery)).timeout(timeout).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null && !token.isEmpty()) {
            request.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new Refused(response.statusCode(), "Consul request to [" + method + " " + pathAndQuery
                        + "] failed with status [" + response.statusCode() + "]: " + response.body().strip());
            }
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + pathAndQuery + " at " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsulException("interrupted during " + method + " " + pathAndQuery, e);
        }
    }

    /** Consul's refusal of a raw request, with its status code, as consul-client reports its own. */
    public static final class Refused extends ConsulException {
        private final int code;

        public Refused(int code, String message) {
            super(message);
            this.code = code;
        }

        @Override
        public boolean hasCode() {
            return true;
        }

        @Override
        public int getCode() {
            return code;
        }
    }

    /**
     * The status code of {@code GET <path>} with the endpoint's token.
     *
     * @throws UncheckedIOException when Consul does not answer
     */
    public static int getStatus(ConsulEndpoint endpoint, String pathAndQuery, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                + pathAndQuery)).timeout(timeout).GET();
        if (endpoint.token().isPresent()) {
            request.header("X-Consul-Token", endpoint.token().get());
        }
        try {
            return client(endpoint).send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " at " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
