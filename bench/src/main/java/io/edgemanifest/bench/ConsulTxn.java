package io.edgemanifest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Consul's {@code /v1/txn}: up to 64 operations in one request. In Consul 1.8 a transaction may hold
 * KV and catalog (Node, Service, Check) operations together — verified on 1.8.7 — so a host's
 * service, check and record are written as one atomic change, as the host's own agent and session
 * would leave them; a transaction of only reads is answered without Raft.
 */
final class ConsulTxn {

    static final int MAX_OPS = 64;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final String url;
    private final String token;
    private final ArrayNode ops = Http.JSON.createArrayNode();

    ConsulTxn(String consulUrl, String token) {
        this.url = consulUrl + "/v1/txn";
        this.token = token;
    }

    int size() {
        return ops.size();
    }

    ConsulTxn kvSet(String key, String base64Value) {
        ObjectNode kv = op("KV");
        kv.put("Verb", "set").put("Key", key).put("Value", base64Value);
        return this;
    }

    ConsulTxn kvDelete(String key) {
        op("KV").put("Verb", "delete").put("Key", key);
        return this;
    }

    /** Every key under {@code prefix} (an exact key is its own prefix): unlike "get", a missing key does not fail the transaction. */
    ConsulTxn kvGetTree(String prefix) {
        op("KV").put("Verb", "get-tree").put("Key", prefix);
        return this;
    }

    ConsulTxn node(String node, String address) {
        ObjectNode n = op("Node").put("Verb", "set").putObject("Node");
        n.put("Node", node).put("Address", address);
        return this;
    }

    ConsulTxn service(String node, String id, String tag, java.util.Map<String, String> meta) {
        ObjectNode s = op("Service").put("Verb", "set").put("Node", node).putObject("Service");
        s.put("ID", id).put("Service", id).putArray("Tags").add(tag);
        ObjectNode m = s.putObject("Meta");
        meta.forEach(m::put);
        return this;
    }

    ConsulTxn check(String node, String serviceId, String status) {
        ObjectNode c = op("Check").put("Verb", "set").putObject("Check");
        c.put("Node", node).put("CheckID", "service:" + serviceId).put("Name", "Service '" + serviceId + "' check")
                .put("Status", status).put("Output", "TTL check (bench: " + status + ")")
                .put("ServiceID", serviceId).put("ServiceName", serviceId).putObject("Definition");
        return this;
    }

    private ObjectNode op(String kind) {
        if (ops.size() >= MAX_OPS) {
            throw new IllegalStateException("a Consul transaction holds at most " + MAX_OPS + " operations");
        }
        return ops.addObject().putObject(kind);
    }

    /** Sends the operations; the answer's {@code Results}. Throws unless Consul committed (or read) them all. */
    JsonNode commit() {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .PUT(HttpRequest.BodyPublishers.ofString(ops.toString()));
        if (token != null) {
            request.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Consul refused a transaction of " + ops.size() + " operations ("
                        + response.statusCode() + "): " + response.body().lines().limit(3).toList());
            }
            return Http.JSON.readTree(response.body()).path("Results");
        } catch (IOException e) {
            throw new UncheckedIOException("transaction to " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
