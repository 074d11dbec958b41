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
 * operations each (Consul's limit, the fence included) and at most ~384 KiB of values, under
 * Consul's 512 KiB request cap. It speaks the HTTP API itself because consul-client re-encodes
 * transaction values as UTF-8 text, which would corrupt binary values; here the source's base64 goes
 * through untouched.
 *
 * <p><b>Fencing.</b> Every transaction starts with {@code check-session} on the source's lock key
 * and this instance's session ({@link Fence}). Consul runs a transaction's operations in one state
 * store transaction and aborts it whole when any fails: a failed check answers 409 with
 * {@code Errors[0].OpIndex == 0} ("failed session check for key ..., current session X != Y", or
 * "failed to check session, key ... doesn't exist" once the lock was deleted with its session) and
 * none of the writes is applied — verified on 1.8.7. An instance that lost its lock (frozen past its
 * check's TTL, partitioned, handed over) can therefore never write after the next holder took over.
 */
final class ReplicaWriter {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ReplicaWriter.class);

    /** Consul's limit per transaction is 64 operations; one of them is the fence. */
    static final int MAX_OPS = 63;
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
    void apply(String source, Fence fence, Map<String, Entry> puts, List<String> deletes) {
        apply(source, fence, puts, deletes, java.util.Set.of());
    }

    /**
     * As {@link #apply(String, Fence, Map, List)}; each key of {@code held} is still locked by some
     * session (a previous holder's large-value write that never released it): a plain {@code set}
     * keeps that lock, and Consul deletes the key when that session ends (our sessions' behaviour
     * is {@code delete}). Such a key is deleted and set again in the same transaction, atomically,
     * which leaves it unlocked.
     */
    void apply(String source, Fence fence, Map<String, Entry> puts, List<String> deletes, java.util.Set<String> held) {
        List<Map<String, Object>> batch = new ArrayList<>();
        int bytes = 0;
        for (Map.Entry<String, Entry> put : puts.entrySet()) {
            int size = put.getValue().base64Value().length() + put.getKey().length();
            if (size > MAX_BYTES) {
                putAlone(source, fence, put.getKey(), put.getValue());
                continue;
            }
            int ops = held.contains(put.getKey()) ? 2 : 1;
            if (!batch.isEmpty() && (batch.size() + ops > MAX_OPS || bytes + size > MAX_BYTES)) {
                commit(fence, batch);
                batch = new ArrayList<>();
                bytes = 0;
            }
            if (ops == 2) {
                batch.add(Map.of("KV", Map.of("Verb", "delete", "Key", put.getKey())));
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
                commit(fence, batch);
                batch = new ArrayList<>();
            }
            batch.add(Map.of("KV", Map.of("Verb", "delete", "Key", key)));
        }
        if (!batch.isEmpty()) {
            commit(fence, batch);
        }
    }

    /** Writes one small text value (a status document) under the fence. */
    void put(Fence fence, String key, String text) {
        Map<String, Object> kv = new LinkedHashMap<>();
        kv.put("Verb", "set");
        kv.put("Key", key);
        kv.put("Value", java.util.Base64.getEncoder().encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        send(fence, new ArrayList<>(List.of(Map.of("KV", kv))));
    }

    /**
     * A value too large for a transaction, written with plain KV puts, fenced too: first a
     * transaction of the fence alone (we still hold the lock), then {@code ?acquire=<session>},
     * which Consul refuses once our session is gone (500 "invalid session") — and the lock is only
     * ever lost with the session, or handed back by us after our writers stopped ({@link Replicator}).
     * Then {@code ?release=<session>}, so the key does not die with our session. An instance that
     * dies between the two leaves the key deleted; the next holder's diff writes it again.
     */
    private void putAlone(String source, Fence fence, String key, Entry entry) {
        byte[] value = java.util.Base64.getDecoder().decode(entry.base64Value());
        send(fence, new ArrayList<>());
        String url = kv + encodeKey(key) + "?flags=" + entry.flags() + "&";
        HttpResponse<String> acquired = send(url + "acquire=" + fence.session(), value, key);
        if (acquired.statusCode() == 413) {
            log.warn("replica of {} refused {} ({} bytes, over the destination's limit): quarantined, skipped",
                    source, key, value.length);
            metrics.quarantined(source);
            return;
        }
        if (acquired.statusCode() == 200 && acquired.body().strip().equals("false")) {
            // Not our lock lost: the replica key itself is locked by another session — a previous
            // holder whose large-value write never released it (interrupted by a hand-over, or its
            // release failed). Were this taken for a lost lock the scope would stop for good while
            // we hold the source. Delete the key under the fence (refused whole if we did lose the
            // lock), then acquire again; the key is missing only between these two requests.
            log.warn("replica of {}: {} is locked by another session (a previous holder's unreleased write): taking it back",
                    source, key);
            List<Map<String, Object>> clear = new ArrayList<>();
            clear.add(Map.of("KV", Map.of("Verb", "delete", "Key", key)));
            send(fence, clear);
            acquired = send(url + "acquire=" + fence.session(), value, key);
            if (acquired.statusCode() == 200 && acquired.body().strip().equals("false")) {
                throw new IllegalStateException("destination kept " + key + " locked by another session");
            }
        }
        if (acquired.statusCode() == 500 && acquired.body().contains("invalid session")) {
            throw new LockLostException(fence, "destination refused " + key + " under our session: "
                    + acquired.body().strip());
        }
        if (acquired.statusCode() != 200) {
            throw new IllegalStateException("destination refused " + key + " (" + value.length + " bytes): HTTP "
                    + acquired.statusCode() + " " + acquired.body());
        }
        HttpResponse<String> released = send(url + "release=" + fence.session(), value, key);
        if (released.statusCode() != 200) {
            // Written; only still held by our session: it goes with the session and is then rewritten.
            log.warn("replica of {}: {} written but not released (HTTP {}): it lives as long as our session",
                    source, key, released.statusCode());
        }
    }

    private HttpResponse<String> send(String url, byte[] value, String key) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).PUT(HttpRequest.BodyPublishers.ofByteArray(value));
            if (token.isPresent()) {
                request.header("X-Consul-Token", token.get());
            }
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
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

    /** One transaction of replica writes (counted in {@code replicate_transactions}). */
    private void commit(Fence fence, List<Map<String, Object>> batch) {
        send(fence, batch);
        metrics.transaction();
    }

    private void send(Fence fence, List<Map<String, Object>> batch) {
        batch.addFirst(Map.of("KV", Map.of("Verb", "check-session", "Key", fence.lockKey(), "Session", fence.session())));
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(txn).timeout(Duration.ofSeconds(10))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(batch)));
            if (token.isPresent()) {
                request.header("X-Consul-Token", token.get());
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() == 409 && fenceFailed(response.body())) {
                throw new LockLostException(fence, "destination refused a transaction of " + (batch.size() - 1)
                        + " ops: " + response.body().replaceAll("\\s+", " "));
            }
            if (response.statusCode() != 200) {
                throw new IllegalStateException("destination refused a transaction of " + (batch.size() - 1)
                        + " ops: HTTP " + response.statusCode() + " " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("destination transaction failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during a destination transaction", e);
        }
    }

    /** Whether a 409's errors name operation 0, the fence (every other op is a set or delete). */
    private static boolean fenceFailed(String body) {
        try {
            for (com.fasterxml.jackson.databind.JsonNode error : JSON.readTree(body).path("Errors")) {
                if (error.path("OpIndex").asInt(-1) == 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            log.debug("409 from the destination without a JSON body: {}", body);
        }
        return false;
    }

    /**
     * What makes a write legitimate: this instance's session holds {@code lockKey}, the lock of the
     * source being written ({@code replicate/lock/<dc>}).
     */
    record Fence(String lockKey, String session) {
        Fence {
            java.util.Objects.requireNonNull(lockKey, "lockKey");
            java.util.Objects.requireNonNull(session, "session");
        }
    }

    /** The destination refused a write because our session no longer holds the source's lock. */
    static final class LockLostException extends IllegalStateException {
        LockLostException(Fence fence, String detail) {
            super("fenced: session " + fence.session() + " does not hold " + fence.lockKey() + " (" + detail + ")");
        }
    }
}
