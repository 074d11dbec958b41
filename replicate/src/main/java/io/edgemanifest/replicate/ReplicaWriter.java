package io.edgemanifest.replicate;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes differences to the destination in Consul transactions ({@code PUT /v1/txn}): at most 64
 * operations each (Consul's limit) and at most ~384 KiB of values, under Consul's 512 KiB request
 * cap. It speaks the HTTP API itself because consul-client re-encodes transaction values as UTF-8
 * text, which would corrupt binary values; here the source's base64 goes through untouched.
 */
final class ReplicaWriter {

    static final int MAX_OPS = 64;
    static final int MAX_BYTES = 384 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI txn;
    private final ConsulToken token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final ReplicateMetrics metrics;

    ReplicaWriter(ConsulEndpoint destination, ReplicateMetrics metrics) {
        this.metrics = metrics;
        this.txn = URI.create(destination.url().toString().replaceAll("/+$", "") + "/v1/txn");
        this.token = destination.token();
    }

    /** Applies puts and deletes; throws when Consul refuses a transaction (nothing of it applied). */
    void apply(Map<String, Entry> puts, List<String> deletes) {
        List<Map<String, Object>> batch = new ArrayList<>();
        int bytes = 0;
        for (Map.Entry<String, Entry> put : puts.entrySet()) {
            int size = put.getValue().base64Value().length() + put.getKey().length();
            if (!batch.isEmpty() && (batch.size() == MAX_OPS || bytes + size > MAX_BYTES)) {
                commit(batch);
                batch = new ArrayList<>();
                bytes = 0;
            }
            Map<String, Object> kv = new LinkedHashMap<>();
            kv.put("Verb", "set");
            kv.put("Key", put.getKey());
            kv.put("Value", put.getValue().base64Value());
            kv.put("Flags", put.getValue().flags());
            batch.add(Map.of("KV", kv));
            bytes += size;
        }
        for (String key : deletes) {
            if (batch.size() == MAX_OPS) {
                commit(batch);
                batch = new ArrayList<>();
            }
            batch.add(Map.of("KV", Map.of("Verb", "delete", "Key", key)));
        }
        if (!batch.isEmpty()) {
            commit(batch);
        }
    }

    private void commit(List<Map<String, Object>> batch) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(txn).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(batch)));
            if (token.isPresent()) {
                request.header("X-Consul-Token", token.get());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("destination refused a transaction of " + batch.size()
                        + " ops: HTTP " + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("destination transaction failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a destination transaction", e);
        }
        metrics.transaction();
    }
}
