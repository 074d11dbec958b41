package io.edgemanifest.core.consul;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.Errors;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blocking query on the sessions of one Consul agent's node ({@code /v1/session/node/<node>}),
 * shared by every presence of this JVM on that agent (virtual hosts): when a tracked session is no
 * longer listed — destroyed by another host on the agent (any host may, under Consul 1.8 ACLs) or
 * invalidated — its owner is told at once and re-creates session and record, instead of finding
 * out at its next key read. One watch per agent and process, never one per host: every session
 * change on a node wakes every blocking query on it, so one per host would make each change cost
 * the servers a full listing per host.
 *
 * <p>A session created after the answer being read may look lost once; its owner then reads its
 * key (one GET) and finds all well. The node is learned from the first tracked session.
 */
public final class SessionWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SessionWatch.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ConsulEndpoint endpoint;
    private final Duration wait;
    private final Map<String, Runnable> tracked = new ConcurrentHashMap<>();
    private final AtomicLong wakeUps = new AtomicLong();
    private final AtomicLong losses = new AtomicLong();
    private volatile String node;
    private volatile boolean closed;
    private Thread thread;

    /** @param wait how long one blocking query may wait (Consul caps it at 10 min) */
    public SessionWatch(ConsulEndpoint endpoint, Duration wait) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        if (wait.compareTo(Duration.ofSeconds(1)) < 0 || wait.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("session watch wait must be 1s to 10m: " + wait);
        }
        this.wait = wait;
    }

    public synchronized SessionWatch start() {
        if (thread == null) {
            thread = Thread.ofVirtual().name("session-watch").start(this::loop);
        }
        return this;
    }

    /** {@code onLost} runs (on the watch's thread; keep it short) once the session is seen gone. */
    public void track(String sessionId, Runnable onLost) {
        tracked.put(Objects.requireNonNull(sessionId, "sessionId"), Objects.requireNonNull(onLost, "onLost"));
        Thread t = thread;
        if (node == null && t != null) {
            LockSupport.unpark(t); // the first session tells us the node
        }
    }

    public void untrack(String sessionId) {
        if (sessionId != null) {
            tracked.remove(sessionId);
        }
    }

    /** Answers received (each a full listing of the node's sessions): the cost this watch puts on Consul. */
    public long wakeUps() {
        return wakeUps.get();
    }

    /** Tracked sessions found gone. */
    public long losses() {
        return losses.get();
    }

    private void loop() {
        long index = 0;
        int failures = 0;
        while (!closed) {
            try {
                if (node == null) {
                    node = discoverNode();
                    if (node == null) {
                        LockSupport.parkNanos(Duration.ofSeconds(1).toNanos());
                        continue;
                    }
                }
                index = watchOnce(index);
                failures = 0;
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                failures++;
                if (failures == 1) {
                    log.warn("session watch at {} failed ({}): retrying with back-off", endpoint, Errors.rootMessage(e));
                }
                index = 0;
                // Retry pacing (1 s ... 10 s), not synchronisation.
                LockSupport.parkNanos(Duration.ofSeconds(Math.min(10, failures)).toNanos());
            }
        }
    }

    /** The node of any tracked session, from its info; null when nothing is tracked yet. */
    private String discoverNode() {
        for (String id : Set.copyOf(tracked.keySet())) {
            JsonNode info = get("/v1/session/info/" + encode(id), Duration.ofSeconds(10)).body();
            if (info.isArray() && !info.isEmpty()) {
                return info.get(0).path("Node").asText();
            }
        }
        return null;
    }

    private long watchOnce(long index) {
        Answer answer = get("/v1/session/node/" + encode(node) + "?index=" + index + "&wait=" + wait.toSeconds() + "s",
                wait.plus(wait.dividedBy(16)).plusSeconds(10));
        wakeUps.incrementAndGet();
        Set<String> listed = new HashSet<>();
        for (JsonNode session : answer.body()) {
            listed.add(session.path("ID").asText());
        }
        for (Map.Entry<String, Runnable> entry : Map.copyOf(tracked).entrySet()) {
            if (!listed.contains(entry.getKey()) && tracked.remove(entry.getKey(), entry.getValue())) {
                losses.incrementAndGet();
                log.debug("session {} is gone from node {}: telling its owner", entry.getKey(), node);
                try {
                    entry.getValue().run();
                } catch (RuntimeException e) {
                    log.warn("session watch: owner of {} failed to take the news", entry.getKey(), e);
                }
            }
        }
        // An index that goes backwards (servers restored) restarts from a full read.
        return answer.index() < index ? 0 : answer.index();
    }

    private record Answer(JsonNode body, long index) {
    }

    private Answer get(String pathAndQuery, Duration timeout) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                + pathAndQuery)).timeout(timeout).GET();
        String token = endpoint.token().get();
        if (token != null && !token.isEmpty()) {
            request.header("X-Consul-Token", token);
        }
        try {
            HttpResponse<String> response = RawConsul.client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new RawConsul.Refused(response.statusCode(), "GET " + pathAndQuery + ": " + response.statusCode()
                        + " " + response.body().strip());
            }
            long index = response.headers().firstValueAsLong("X-Consul-Index").orElse(0);
            return new Answer(JSON.readTree(response.body()), index);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
