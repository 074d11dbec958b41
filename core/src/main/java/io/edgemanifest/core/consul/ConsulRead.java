package io.edgemanifest.core.consul;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import org.kiwiproject.consul.ConsulException;

/**
 * A (blocking) read of Consul's HTTP API whose answer bytes are counted: the read path's cost is
 * bytes per change (Consul 1.8 answers a watched list whole, never a delta), so every watch of
 * replicate and of the Explorer's ingest reads through here and reports what it read.
 *
 * <p>404 is an empty answer (Consul's answer to a KV list with no keys), with its index; any other
 * status but 200 is a {@link RawConsul.Refused} carrying the code (403: the token may not read);
 * no answer at all is an {@link UncheckedIOException} ({@link ConsulErrors#isUnreachable}).
 */
public final class ConsulRead {

    /** An answer: its body (empty for 404), {@code X-Consul-Index} (0 if none) and {@code X-Consul-LastContact} in ms. */
    public record Answer(byte[] body, BigInteger index, long lastContactMillis) {
    }

    private ConsulRead() {
    }

    /**
     * The query string of a read: {@code index}/{@code wait} when {@code index > 0} (a blocking read),
     * {@code consistent} or {@code stale}, {@code dc}, then {@code extra} ("keys", "separator=/", ...).
     */
    public static String query(BigInteger index, Duration wait, boolean consistent, Optional<String> dc, String... extra) {
        List<String> parts = new ArrayList<>();
        if (index.signum() > 0) {
            parts.add("index=" + index);
            parts.add("wait=" + Math.max(1, wait.toSeconds()) + "s");
        }
        // Not consistent means ?stale: any server answers, with or without a leader, so an election
        // is not an outage; how stale the answer is shows in X-Consul-LastContact (the caller checks).
        parts.add(consistent ? "consistent" : "stale");
        dc.ifPresent(d -> parts.add("dc=" + encode(d)));
        parts.addAll(List.of(extra));
        return "?" + String.join("&", parts);
    }

    /** A path segment or query value, percent-encoded (a key's '/' kept: Consul's KV paths are keys). */
    public static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20").replace("%2F", "/");
    }

    /**
     * {@code GET <pathAndQuery>} with the endpoint's token; a blocking read's timeout must outlast its
     * wait (Consul adds up to wait/16 of jitter). {@code bytesRead} hears the body's length.
     */
    public static Answer get(ConsulEndpoint endpoint, String pathAndQuery, Duration timeout, LongConsumer bytesRead) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                + pathAndQuery)).timeout(timeout).GET();
        String token = endpoint.token().get();
        if (token != null && !token.isEmpty()) {
            request.header("X-Consul-Token", token);
        }
        HttpResponse<byte[]> response;
        try {
            response = RawConsul.client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + pathAndQuery + " at " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsulException("interrupted during GET " + pathAndQuery, e);
        }
        byte[] body = response.body() == null ? new byte[0] : response.body();
        bytesRead.accept(body.length);
        if (response.statusCode() != 200 && response.statusCode() != 404) {
            throw new RawConsul.Refused(response.statusCode(), "Consul request to [GET " + pathAndQuery
                    + "] failed with status [" + response.statusCode() + "]: "
                    + new String(body, StandardCharsets.UTF_8).strip());
        }
        BigInteger index = response.headers().firstValue("X-Consul-Index").map(BigInteger::new).orElse(BigInteger.ZERO);
        long lastContact = response.headers().firstValue("X-Consul-LastContact").map(Long::parseLong).orElse(0L);
        return new Answer(response.statusCode() == 404 ? new byte[0] : body, index, lastContact);
    }
}
