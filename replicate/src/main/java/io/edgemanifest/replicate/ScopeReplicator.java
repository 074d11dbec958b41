package io.edgemanifest.replicate;

import io.edgemanifest.core.presence.Backoff;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one scope of one source replicated: a blocking query at the source, an in-memory view of
 * what was applied, and only the difference written. The destination is read once, at start, to
 * learn what an earlier run left there — never per change.
 */
final class ScopeReplicator implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(ScopeReplicator.class);

    private final String datacenter;
    private final Scope scope;
    private final Consul destination;
    private final ReplicaWriter writer;
    private final ReplicaWriter.Fence fence;
    private final SourceStatus status;
    private final ReplicateSettings settings;
    private final ReplicateMetrics metrics;
    private final Map<String, Entry> applied = new HashMap<>();
    /**
     * Keys the seed found locked by a session: a previous holder's large-value write that never
     * released them. Rewritten unlocked at the next write even if their value is right, or Consul
     * would delete them when that session ends and the replica would silently miss them.
     */
    private final java.util.Set<String> held = new java.util.HashSet<>();
    private volatile boolean running = true;

    ScopeReplicator(String datacenter, Scope scope, Consul destination, ReplicaWriter writer, ReplicaWriter.Fence fence,
                    SourceStatus status, ReplicateSettings settings, ReplicateMetrics metrics) {
        this.fence = fence;
        this.metrics = metrics;
        this.datacenter = datacenter;
        this.scope = scope;
        this.destination = destination;
        this.writer = writer;
        this.status = status;
        this.settings = settings;
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        Backoff backoff = new Backoff(Duration.ofMillis(250), settings.maxBackoff());
        boolean seeded = false;
        BigInteger index = BigInteger.ZERO;
        while (running) {
            try {
                if (!seeded) {
                    seed();
                    scope.checkAccess(); // a token that may not read would see an "empty" source: say so at once
                    seeded = true;
                }
                Snapshot snapshot = scope.fetch(index, settings.blockingWait(), false);
                Instant answered = Instant.now();
                if (snapshot.index().compareTo(index) < 0) {
                    // The source's index went backwards (restore, new cluster): read everything again.
                    log.info("{} {}: index went back from {} to {}: full resync", datacenter, scope.name(), index,
                            snapshot.index());
                    index = BigInteger.ZERO;
                    metrics.indexReset();
                    continue;
                }
                if (!running) {
                    break;
                }
                if (index.signum() > 0 && snapshot.index().equals(index)) {
                    status.synced(scope.name(), index, applied.size(), 0, false); // wait ran out, nothing new
                    continue;
                }
                boolean changed = reconcile(snapshot);
                Duration lag = Duration.between(answered, Instant.now());
                if (changed) {
                    metrics.lag(datacenter, lag);
                }
                metrics.up(datacenter, true);
                status.synced(scope.name(), snapshot.index(), applied.size(), lag.toMillis(), changed);
                index = snapshot.index();
                backoff.reset();
            } catch (ReplicaWriter.LockLostException e) {
                // Not an outage: another instance holds this source now (we were frozen, cut off or
                // handed it over). Nothing of ours was applied; the holder's writes stand.
                metrics.fenced(datacenter);
                log.warn("{} {}: write refused, this instance no longer holds the source: stopping ({})",
                        datacenter, scope.name(), e.getMessage());
                running = false;
                break;
            } catch (Exception e) { // OkHttp (Kotlin) can throw InterruptedException unchecked on stop
                if (!running) {
                    break;
                }
                status.unreachable(scope.name(), e);
                metrics.error(datacenter);
                metrics.up(datacenter, false);
                log.debug("{} {}: {}", datacenter, scope.name(), e.toString());
                pause(backoff.next());
            }
        }
    }

    /**
     * Learns what is already in the destination for this scope (an earlier run, another instance),
     * once per lock acquisition: a write of a previous holder that landed before we took the lock is
     * seen here and repaired by the diff; one after is refused by the fence. Consistent, so a
     * follower's lagging copy cannot hide one.
     */
    private void seed() {
        List<Value> existing = destination.keyValueClient().getValues(scope.destinationPrefix(),
                org.kiwiproject.consul.option.ImmutableQueryOptions.builder()
                        .consistencyMode(org.kiwiproject.consul.option.ConsistencyMode.CONSISTENT).build());
        for (Value value : existing) {
            Entry entry = new Entry(value.getValue().orElse(""), value.getFlags());
            if (scope.owns(value.getKey(), entry)) {
                applied.put(value.getKey(), entry);
                if (value.getSession().isPresent()) {
                    held.add(value.getKey());
                }
            }
        }
        log.info("{} {}: {} entries already in the replica ({} locked by a session)", datacenter, scope.name(),
                applied.size(), held.size());
    }

    /** Applies the difference between the snapshot and what we applied; true if anything was written. */
    private boolean reconcile(Snapshot snapshot) {
        List<String> deletes = deletes(snapshot);
        if (!deletes.isEmpty() && guardTrips(snapshot, deletes.size())) {
            log.warn("{} {}: answer would delete {} of {} entries: confirming with a consistent read in {} ms",
                    datacenter, scope.name(), deletes.size(), applied.size(), settings.confirmDelay().toMillis());
            metrics.guardTripped();
            scope.checkAccess(); // a filtered answer looks empty: a 403 here keeps the replica whole
            pause(settings.confirmDelay());
            if (!running) {
                return false;
            }
            Snapshot confirm = scope.fetch(BigInteger.ZERO, settings.blockingWait(), true);
            if (!running) {
                return false;
            }
            List<String> confirmed = deletes(confirm);
            log.warn("{} {}: consistent read confirms {} deletes", datacenter, scope.name(), confirmed.size());
            snapshot = new Snapshot(confirm.entries(), snapshot.index());
            deletes = confirmed;
        }
        Map<String, Entry> puts = new LinkedHashMap<>();
        snapshot.entries().forEach((key, entry) -> {
            if (!entry.equals(applied.get(key)) || held.contains(key)) {
                puts.put(key, entry);
            }
        });
        if (puts.isEmpty() && deletes.isEmpty()) {
            return false;
        }
        writer.apply(datacenter, fence, puts, deletes, held);
        metrics.applied(datacenter, puts.size(), deletes.size());
        applied.putAll(puts);
        deletes.forEach(applied::remove);
        puts.keySet().forEach(held::remove);
        deletes.forEach(held::remove);
        log.debug("{} {}: applied {} puts, {} deletes", datacenter, scope.name(), puts.size(), deletes.size());
        return true;
    }

    private List<String> deletes(Snapshot snapshot) {
        List<String> deletes = new ArrayList<>();
        for (String key : applied.keySet()) {
            if (!snapshot.entries().containsKey(key)) {
                deletes.add(key);
            }
        }
        return deletes;
    }

    /**
     * An empty answer is "unknown" until confirmed (a source in a leader election can answer empty),
     * and so is any answer deleting more than the threshold share (and count) of the entries.
     */
    private boolean guardTrips(Snapshot snapshot, int deletes) {
        if (snapshot.entries().isEmpty()) {
            return true;
        }
        return deletes > settings.guardMinEntries() && deletes > applied.size() * settings.guardRatio();
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis()); // retry pacing and the guard's deliberate wait
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
