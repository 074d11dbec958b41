package io.edgemanifest.core.acl;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * The few Consul calls consul-client cannot express: reading a policy's rules (its
 * {@code PolicyResponse} has none), resolving <em>another</em> token ({@code /v1/acl/token/self}
 * with the caller's secret, not ours) and the agent's {@code DebugConfig}. Same URL, token holder
 * and CA as the endpoint's clients.
 */
final class ConsulHttp {

    /** An answer: status and body, whatever the status. */
    record Response(int status, String body) {
        boolean ok() {
            return status == 200;
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final ConsulEndpoint endpoint;
    private final HttpClient http;

    ConsulHttp(ConsulEndpoint endpoint) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2));
        if (endpoint.isHttps() && endpoint.caFile() != null) {
            try {
                SSLContext context = SSLContext.getInstance("TLS");
                context.init(null, new TrustManager[] {ConsulEndpoint.trustManager(endpoint.caFile())}, null);
                builder.sslContext(context);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot set up TLS to " + endpoint, e);
            }
        }
        this.http = builder.build();
    }

    /** A GET with the endpoint's own token. */
    Response get(String pathAndQuery) {
        return send("GET", pathAndQuery, endpoint.token().get());
    }

    /**
     * A GET with {@code token} instead of ours (null or empty: anonymous).
     *
     * @throws UncheckedIOException when Consul does not answer
     */
    Response send(String method, String pathAndQuery, String token) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base() + pathAndQuery))
                .timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null && !token.isEmpty()) {
            request.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("Consul at " + endpoint + " did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Consul at " + endpoint, e);
        }
    }

    private String base() {
        String url = endpoint.url().toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
