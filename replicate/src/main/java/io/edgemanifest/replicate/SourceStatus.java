package io.edgemanifest.replicate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import io.edgemanifest.core.Errors;
import io.edgemanifest.core.consul.ConsulErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code replicate/status/<dc>} in the destination: {state, since, lastIndex, lastSyncAt, lagMillis,
 * entries, reason, pending, beat}. Written when something changed, and at least every {@link #BEAT}
 * as a liveness beat.
 *
 * <p>States: {@code syncing} until <b>every</b> scope (each KV prefix, hosts, each service) has
 * completed its first read into the replica — {@code pending} lists those that have not — then
 * {@code ok} (or {@code syncing} again while a scope holds deletions back); {@code unreachable} once a scope kept failing for {@code --unreachable-after}. A source that said
 * {@code ok} after its first scope let the Explorer take every device of the others for gone (#12
 * item 7): while a source is syncing the Explorer gives its devices no verdict.
 */
final class SourceStatus {

    private static final Logger log = LoggerFactory.getLogger(SourceStatus.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String datacenter;
    private final List<String> scopes;
    private final Sink sink;
    private final Set<String> firstRead = ConcurrentHashMap.newKeySet();
    /**
     * A source is declared unreachable only when a scope has kept failing this long
     * ({@code --unreachable-after}): a leader election or one server restarting is not an outage.
     */
    private final java.time.Duration grace;
    /**
     * When a scope of this source last saw its state reset (index backwards) or answered again after
     * failing: shared by the scopes, because one scope's blocking index may well not go backwards
     * (a new cluster's index can pass an old one) while the source did lose its state.
     */
    private volatile Instant suspectSince;

    /** Scopes holding deletions back (why): while any does, the source is {@code syncing}, not {@code ok}. */
    private final Map<String, String> holding = new ConcurrentHashMap<>();

    private final Map<String, Integer> entriesByScope = new ConcurrentHashMap<>();
    private final Map<String, Instant> failingSince = new ConcurrentHashMap<>();
    private String state = "syncing";
    private Instant since = Instant.now();
    private BigInteger lastIndex = BigInteger.ZERO;
    private Instant lastSyncAt;
    private long lagMillis;
    private String reason;
    private Instant lastBeat = Instant.MIN;
    /**
     * How often the status is rewritten with a fresh {@code beat} even when nothing changed: the
     * Explorer takes a source whose beat stops for 30 s as unknown — every replicate instance may be
     * dead, and a frozen replica would keep dead hosts online.
     */
    static final java.time.Duration BEAT = java.time.Duration.ofSeconds(5);

    /**
     * @param scopes the names of every scope of this source: it is {@code ok} only once each has been read
     * @param sink   where the document goes (the destination, fenced by the source's lock)
     */
    SourceStatus(String datacenter, List<String> scopes, Sink sink) {
        this(datacenter, scopes, sink, ReplicateSettings.DEFAULT_UNREACHABLE_AFTER);
    }

    SourceStatus(String datacenter, List<String> scopes, Sink sink, java.time.Duration unreachableAfter) {
        this.grace = unreachableAfter;
        this.datacenter = datacenter;
        this.scopes = List.copyOf(scopes);
        this.sink = sink;
    }

    /** Writes the status document to the destination; may throw (logged, retried with the next beat). */
    @FunctionalInterface
    interface Sink {
        void write(String key, String json);
    }

    static String key(String datacenter) {
        return "replicate/status/" + datacenter;
    }

    synchronized void unreachable(String scope, Throwable cause) {
        Instant since = failingSince.computeIfAbsent(scope, k -> Instant.now());
        // A 403 is no election: it lasts until an operator fixes the token, so it is said at once.
        boolean denied = ConsulErrors.isPermissionDenied(cause);
        if (!"unreachable".equals(state) && (denied || !Instant.now().isBefore(since.plus(grace)))) {
            // A 403 is not an outage but it is no answer either: the replica is kept as it was,
            // and the status says why, so an operator sees a token problem, not a dead datacenter.
            reason = denied
                    ? "permission denied: replicate's token lacks a right at this source (" + Errors.rootMessage(cause) + ")"
                    : Errors.rootMessage(cause);
            log.warn("source {} unreachable ({}): keeping its replica, retrying", datacenter, reason);
            state = "unreachable";
            this.since = since;
            write();
        }
    }

    /**
     * Whether a scope holds deletions back ({@code reason}, or null when it holds none): the replica
     * of that scope is not the source's truth yet, so the source is {@code syncing} until it is.
     */
    synchronized void holding(String scope, String why) {
        String before = why == null ? holding.remove(scope) : holding.put(scope, why);
        if (why != null && before == null) {
            log.warn("source {} {}: {}: reporting it syncing", datacenter, scope, why);
            state = "syncing";
            since = Instant.now();
            reason = why;
            write();
        } else if (why == null && before != null) {
            log.info("source {} {}: nothing held back any more", datacenter, scope);
        }
    }

    /** The source may have lost its state (reset) or just came back: see {@link #suspectWithin}. */
    void suspect() {
        suspectSince = Instant.now();
    }

    /** Whether the source was reset or came back within {@code window}: deletions are then checked against re-syncs. */
    boolean suspectWithin(java.time.Duration window) {
        Instant since = suspectSince;
        return since != null && Instant.now().isBefore(since.plus(window));
    }

    /** A scope answered; {@code changed} tells whether anything was applied. */
    synchronized void synced(String scope, BigInteger index, int entries, long lag, boolean changed) {
        entriesByScope.put(scope, entries);
        failingSince.remove(scope);
        boolean first = firstRead.add(scope);
        // "ok" only once every scope has been read once, and every scope that failed has answered again.
        boolean stateChanged = !"ok".equals(state) && failingSince.isEmpty() && holding.isEmpty()
                && firstRead.containsAll(scopes);
        if (stateChanged) {
            log.info("source {} in sync ({} after {})", datacenter, scope, state);
            state = "ok";
            since = Instant.now();
            reason = null;
        }
        if (index.compareTo(lastIndex) > 0) {
            lastIndex = index;
        }
        if (changed) {
            lastSyncAt = Instant.now();
            lagMillis = lag;
        }
        if (changed || stateChanged || first) {
            write();
        }
    }

    /**
     * Writes the status as it is ({@code syncing} at first) before any scope writes to the replica:
     * a replica rebuilt from scratch (the destination lost its data) is never read as the whole
     * truth under a missing or stale status.
     */
    synchronized void announce() {
        write();
    }

    /** Rewrites the status with a fresh beat if the last write is older than {@link #BEAT}. */
    synchronized void beat() {
        if (!Instant.now().isBefore(lastBeat.plus(BEAT))) {
            write();
        }
    }

    private void write() {
        lastBeat = Instant.now();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("state", state);
        doc.put("since", since.toString());
        doc.put("lastIndex", lastIndex);
        doc.put("lastSyncAt", lastSyncAt == null ? null : lastSyncAt.toString());
        doc.put("lagMillis", lagMillis);
        if (reason != null) {
            doc.put("reason", reason);
        }
        if (!"ok".equals(state)) {
            List<String> pending = scopes.stream().filter(scope -> !firstRead.contains(scope)).toList();
            if (!pending.isEmpty()) {
                doc.put("pending", pending);
            }
        }
        doc.put("beat", lastBeat.toString());
        doc.put("entries", entriesByScope.values().stream().mapToInt(Integer::intValue).sum());
        try {
            sink.write(key(datacenter), JSON.writeValueAsString(doc));
        } catch (JsonProcessingException | RuntimeException e) {
            log.debug("cannot write status of {}", datacenter, e);
        }
    }

    synchronized String state() {
        return state;
    }
}
