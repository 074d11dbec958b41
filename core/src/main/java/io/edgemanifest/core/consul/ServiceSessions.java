package io.edgemanifest.core.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.kiwiproject.consul.ConsulException;

/**
 * Creates sessions bound to one service check and <em>not</em> to the node's {@code serfHealth}.
 * Consul 1.7+ adds {@code NodeChecks: ["serfHealth"]} to every session unless the request says
 * {@code "NodeChecks": []} — and consul-client's session model cannot say it — while on 1.8 a host
 * with service write on its own name can register a check with CheckID {@code serfHealth}, which
 * the agent syncs over the node's own: failing it would invalidate every session on the node
 * (measured on 1.8.7: docs/security.md). So this one request is sent by hand.
 */
public final class ServiceSessions {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ServiceSessions() {
    }

    /**
     * Creates a {@code delete} session with lock delay 0 bound to {@code checkId} only; returns its ID.
     *
     * @param token the secret to send (the caller's own; null for none)
     * @throws ConsulException with Consul's status code and answer when Consul refuses it
     * @throws UncheckedIOException when Consul does not answer
     */
    public static String create(ConsulEndpoint endpoint, String token, String name, String checkId, Duration timeout) {
        Map<String, Object> body = Map.of(
                "Name", name,
                "Behavior", "delete",
                "LockDelay", "0s",
                "NodeChecks", List.of(),
                "ServiceChecks", List.of(Map.of("ID", checkId)));
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                            + "/v1/session/create"))
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            if (token != null) {
                request.header("X-Consul-Token", token);
            }
            HttpResponse<String> response = RawConsul.client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new RawConsul.Refused(response.statusCode(), "Consul request to [PUT /v1/session/create] failed with status ["
                        + response.statusCode() + "]: " + response.body().strip());
            }
            JsonNode id = JSON.readTree(response.body()).path("ID");
            if (!id.isTextual() || id.asText().isBlank()) {
                throw new ConsulException("Consul answered a session create without an ID");
            }
            return id.asText();
        } catch (IOException e) {
            throw new UncheckedIOException("session create at " + endpoint + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsulException("interrupted during a session create", e);
        }
    }

    /**
     * The IDs of the sessions named {@code name} on the node that holds service {@code serviceId}
     * (found in the catalog under {@code serviceName}); none when the service is not in the catalog
     * (then no session bound to its check can exist). Lists every session of that node: use it only
     * after a create whose answer was lost, not routinely.
     */
    public static List<String> namedOnNodeOf(ConsulEndpoint endpoint, String token, String serviceName, String serviceId,
                                             String name, Duration timeout) {
        try {
            JsonNode instances = JSON.readTree(RawConsul.get(endpoint, token, "/v1/catalog/service/" + encode(serviceName), timeout));
            java.util.Set<String> nodes = new java.util.LinkedHashSet<>();
            for (JsonNode instance : instances) {
                if (serviceId.equals(instance.path("ServiceID").asText())) {
                    nodes.add(instance.path("Node").asText());
                }
            }
            List<String> found = new java.util.ArrayList<>();
            for (String node : nodes) {
                for (JsonNode session : JSON.readTree(RawConsul.get(endpoint, token, "/v1/session/node/" + encode(node), timeout))) {
                    if (name.equals(session.path("Name").asText())) {
                        found.add(session.path("ID").asText());
                    }
                }
            }
            return found;
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable answer from " + endpoint + ": " + e.getMessage(), e);
        }
    }

    private static String encode(String segment) {
        return java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }
}
