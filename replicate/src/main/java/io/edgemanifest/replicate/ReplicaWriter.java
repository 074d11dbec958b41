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

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReplicaWriter.class);

    static final int MAX_OPS = 64;
    static final int MAX_BYTES = 384 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI txn;
    private final String kv;
    private final ConsulToken token;
    /** Trusts what the destination endpoint trusts (its --consul-ca-file for https://). */
    private final HttpClient http;
    private final ReplicateMetrics metrics;

    ReplicaWriter(ConsulEndpoint destination, ReplicateMetrics metrics) {
        this.metrics = metrics;
        this.txn = URI.create(destination.url().toString().replaceAll("/+$", "") + "/v1/txn");
        this.kv = destination.url().toString().replaceAll("/+$", "") + "/v1/kv/";
        this.http = io.edgemanifest.core.consul.RawConsul.client(destination);
        this.token = destination.token();
    }

    /**
     * Applies puts and deletes; throws when Consul refuses a transaction (nothing of it applied).
     * A value too large for any transaction (base64 grows a 384 KiB value past Consul's 512 KiB
     * request cap, while a KV value may be 512 KiB) is written alone with a plain KV put of its raw
     * bytes; one the destination refuses even so is quarantined (logged, counted, skipped), so one
     * key never stops a source from replicating.
     *
     * @param source the source datacenter, for the quarantine's log line and metric
     */
    void apply(String source, Map<String, Entry> puts, List<String> deletes) {
        List<Map<String, Object>> batch = new ArrayList<>();
        int bytes = 0;
        for (Map.Entry<String, Entry> put : puts.entrySet()) {
            int size = put.getValue().base64Value().length() + put.getKey().length();
            if (size > MAX_BYTES) {
                putAlone(source, put.getKey(), put.getValue());
                continue;
            }
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

    private void putAlone(String source, String key, Entry entry) {
        byte[] value = java.util.Base64.getDecoder().decode(entry.base64Value());
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(kv + encodeKey(key) + "?flags=" + entry.flags()))
                    .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofByteArray(value));
            if (token.isPresent()) {
                request.header("X-Consul-Token", token.get());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 413) {
                log.warn("replica of {} refused {} ({} bytes, over the destination's limit): quarantined, skipped",
                        source, key, value.length);
                metrics.quarantined(source);
                return;
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("destination refused " + key + " (" + value.length + " bytes): HTTP "
                        + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("destination put of " + key + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a destination put", e);
        }
    }

    /** A key as a URL path: each segment escaped, slashes kept. */
    private static String encodeKey(String key) {
        StringBuilder out = new StringBuilder();
        for (String segment : key.split("/", -1)) {
            if (!out.isEmpty() || key.startsWith("/")) {
                out.append('/');
            }
            out.append(java.net.URLEncoder.encode(segment, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"));
        }
        return out.toString();
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
