package io.edgemanifest.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which Consul agents of a datacenter take hosts: every node of its catalog that advertises an
 * HTTP URL for hosts in its node meta ({@value #META_KEY}, set by the operator in the agent's
 * {@code node_meta}) and whose {@code serfHealth} is not critical. Opt-in per agent: the servers
 * and the Stargate's own agent are not handed thousands of hosts unless an operator says so, and
 * the URL (scheme, address, port) is the operator's, not guessed from the node's address.
 */
final class AdvertisedAgents {

    /** The node meta key a Consul agent carries to take hosts: {@code node_meta { edge-host-url = "http://10.0.0.5:8500" }}. */
    static final String META_KEY = "edge-host-url";

    private static final ObjectMapper JSON = new ObjectMapper();

    private AdvertisedAgents() {
    }

    /**
     * @param catalogNodes   the answer of {@code GET /v1/catalog/nodes}
     * @param criticalChecks the answer of {@code GET /v1/health/state/critical} (only serfHealth counts)
     * @return the advertised URLs of live agents, sorted (a stable value to compare rounds by)
     */
    static List<URI> parse(String catalogNodes, String criticalChecks) {
        try {
            Set<String> dead = new HashSet<>();
            for (JsonNode check : JSON.readTree(criticalChecks)) {
                if ("serfHealth".equals(check.path("CheckID").asText())) {
                    dead.add(check.path("Node").asText());
                }
            }
            Set<String> urls = new TreeSet<>();
            for (JsonNode node : JSON.readTree(catalogNodes)) {
                String url = node.path("Meta").path(META_KEY).asText("").strip();
                if (url.isEmpty() || dead.contains(node.path("Node").asText())) {
                    continue;
                }
                URI uri = valid(url);
                if (uri != null) {
                    urls.add(uri.toString());
                }
            }
            return urls.stream().map(URI::create).toList();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("Consul's catalog answer is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * The node of every valid advertised URL of {@code catalogNodes} (live or not), by that URL as
     * {@link #parse} lists it: one agent may be known to a host under two URLs (its bootstrap
     * {@code http://name:8500} and the advertised one), and only the node name says it is one agent.
     */
    static java.util.Map<URI, String> nodes(String catalogNodes) {
        try {
            java.util.Map<URI, String> nodes = new java.util.HashMap<>();
            for (JsonNode node : JSON.readTree(catalogNodes)) {
                URI uri = valid(node.path("Meta").path(META_KEY).asText("").strip());
                if (uri != null) {
                    nodes.put(uri, node.path("Node").asText());
                }
            }
            return nodes;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException("Consul's catalog answer is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** An http(s) URL with a host, or null: a typo in one agent's meta must not take hosts nowhere. */
    private static URI valid(String text) {
        try {
            URI uri = URI.create(text.replaceAll("/+$", ""));
            boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            return web && uri.getHost() != null && (uri.getPath() == null || uri.getPath().isEmpty()) ? uri : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
