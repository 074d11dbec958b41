package io.edgemanifest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** Small JSON GETs against Consul and the Explorer; an unreachable server is an empty answer, not a crash. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    /** The token every GET carries (the benchmark's management token under ACLs), or null. */
    static volatile String token;

    private Http() {
    }

    /** The body and Consul's {@code X-Consul-Index} (0 when absent) of a 200 answer. */
    record Answer(JsonNode body, long index) {
    }

    static Optional<Answer> get(String url, Duration timeout) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout);
            if (token != null) {
                request.header("X-Consul-Token", token);
            }
            HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            long index = response.headers().firstValue("X-Consul-Index").map(Long::parseLong).orElse(0L);
            if (response.statusCode() == 404) {
                return Optional.of(new Answer(JSON.createArrayNode(), index)); // Consul: no such keys
            }
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            return Optional.of(new Answer(JSON.readTree(response.body()), index));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Optional<JsonNode> get(String url) {
        return get(url, Duration.ofSeconds(10)).map(Answer::body);
    }

    /** How many keys Consul holds under {@code prefix} now (0 when it does not answer). */
    static int keyCount(String consulUrl, String prefix) {
        return get(consulUrl + "/v1/kv/" + prefix + "?keys").map(JsonNode::size).orElse(0);
    }
}
