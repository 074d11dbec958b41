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
import io.edgemanifest.core.Errors;
import io.edgemanifest.core.consul.ConsulErrors;
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

    /** How quickly a scope retries while its failures are younger than {@code --unreachable-after}. */
    private static final Duration QUICK_RETRY = Duration.ofSeconds(1);
    /** How often a scope re-reads its source while it holds deletions back. */
    private static final Duration HOLD_POLL = Duration.ofSeconds(1);

    /** Whether the last reconcile held deletions back (its log lines are not repeated each second). */
    private boolean holding;

    @Override
    public void run() {
        Backoff backoff = new Backoff(Duration.ofMillis(250), settings.maxBackoff());
        boolean seeded = false;
        BigInteger index = BigInteger.ZERO;
        Instant failingSince = null;
        while (running) {
            try {
                if (!seeded) {
                    seed();
                    scope.checkAccess(); // a token that may not read would see an "empty" source: say so at once
                    seeded = true;
                }
                Snapshot snapshot = scope.fetch(index, settings.blockingWait(), false);
                Instant answered = Instant.now();
                if (snapshot.lastContactMillis() > settings.maxStale().toMillis()) {
                    // A ?stale answer from a server out of touch with any leader for this long may be
                    // arbitrarily old (a partitioned follower): no answer, as far as we are concerned.
                    throw new StaleAnswerException(snapshot.lastContactMillis());
                }
                if (snapshot.index().compareTo(index) < 0) {
                    // The source's index went backwards (restore, servers restarted empty): read everything
                    // again, and for a while hold the deletion of services whose agents have not re-synced.
                    log.info("{} {}: index went back from {} to {}: full resync", datacenter, scope.name(), index,
                            snapshot.index());
                    index = BigInteger.ZERO;
                    status.suspect();
                    metrics.indexReset();
                    continue;
                }
                if (!running) {
                    break;
                }
                if (failingSince != null) {
                    // Back after failing: an election, or servers that came back empty — which the
                    // index shows only if it went backwards, not if the new one already passed ours.
                    status.suspect();
                    failingSince = null;
                }
                if (index.signum() > 0 && snapshot.index().equals(index)) {
                    metrics.answered(datacenter, scope.name());
                    status.synced(scope.name(), index, applied.size(), 0, false); // wait ran out, nothing new
                    continue;
                }
                Reconciled result = reconcile(snapshot);
                Duration lag = Duration.between(answered, Instant.now());
                if (result.changed()) {
                    metrics.lag(datacenter, lag);
                }
                metrics.up(datacenter, true);
                metrics.answered(datacenter, scope.name());
                status.holding(scope.name(), result.heldReason());
                status.synced(scope.name(), snapshot.index(), applied.size(), lag.toMillis(), result.changed());
                backoff.reset();
                if (result.heldReason() != null) {
                    // Deletions held back: keep the index, so the next read answers at once, a moment later.
                    pause(HOLD_POLL);
                    continue;
                }
                index = snapshot.index();
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
                if (failingSince == null) {
                    failingSince = Instant.now();
                }
                status.unreachable(scope.name(), e);
                metrics.error(datacenter);
                metrics.up(datacenter, false);
                log.debug("{} {}: {}", datacenter, scope.name(), e.toString());
                // Right after the source answered, a failure is most likely an election or a server
                // restarting: retry quickly (another server answers ?stale); back off only once it lasts.
                Duration next = backoff.next();
                boolean young = Duration.between(failingSince, Instant.now()).compareTo(settings.unreachableAfter()) < 0;
                pause(young && next.compareTo(QUICK_RETRY) > 0 ? QUICK_RETRY : next);
            }
        }
    }

    /** A ?stale answer older than {@code --max-stale}. */
    static final class StaleAnswerException extends RuntimeException {
        StaleAnswerException(long lastContactMillis) {
            super("the answering server has been out of touch with its leader for " + lastContactMillis + " ms");
        }
    }

    /** What {@link #reconcile} did: whether it wrote, and why deletions were held back (null: none held). */
    private record Reconciled(boolean changed, String heldReason) {
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

    /** Applies the difference between the snapshot and what we applied, holding back deletions it cannot trust yet. */
    private Reconciled reconcile(Snapshot snapshot) {
        List<String> deletes = deletes(snapshot);
        String held = null;
        boolean afterReset = status.suspectWithin(settings.resyncHold());
        if (!deletes.isEmpty() && guardTrips(snapshot, deletes.size())) {
            // Right after a reset the wait buys nothing: every deletion of a service whose node may
            // still re-sync is held below anyway, and waiting would only delay the truly dead.
            Duration delay = afterReset ? Duration.ZERO : settings.confirmDelay();
            if (holding) { // re-read each second while holding: said once when the hold began
                log.debug("{} {}: answer would delete {} of {} entries: confirming with a consistent read in {} ms",
                        datacenter, scope.name(), deletes.size(), applied.size(), delay.toMillis());
            } else {
                log.warn("{} {}: answer would delete {} of {} entries: confirming with a consistent read in {} ms",
                        datacenter, scope.name(), deletes.size(), applied.size(), delay.toMillis());
            }
            metrics.guardTripped();
            scope.checkAccess(); // a filtered answer looks empty: a 403 here keeps the replica whole
            pause(delay);
            if (!running) {
                return new Reconciled(false, null);
            }
            Snapshot confirm;
            try {
                confirm = scope.fetch(BigInteger.ZERO, settings.blockingWait(), true);
            } catch (RuntimeException e) {
                if (!ConsulErrors.isUnreachable(e)) {
                    throw e;
                }
                // No leader (an election) or no server: nothing can be confirmed now, and that is not
                // a reason to fail the source. Apply what is not a deletion, hold the deletions.
                log.info("{} {}: cannot confirm {} deletes now ({}): holding them", datacenter, scope.name(),
                        deletes.size(), Errors.rootMessage(e));
                confirm = null;
                held = "no leader to confirm " + deletes.size() + " deletions";
            }
            if (!running) {
                return new Reconciled(false, null);
            }
            if (confirm != null) {
                List<String> confirmed = deletes(confirm);
                if (holding) {
                    log.debug("{} {}: consistent read confirms {} deletes", datacenter, scope.name(), confirmed.size());
                } else {
                    log.warn("{} {}: consistent read confirms {} deletes", datacenter, scope.name(), confirmed.size());
                }
                snapshot = new Snapshot(confirm.entries(), snapshot.index());
                deletes = confirmed;
            } else {
                deletes = List.of();
            }
        }
        if (!deletes.isEmpty() && afterReset) {
            List<String> kept = awaitingResync(deletes);
            if (!kept.isEmpty()) {
                deletes = new ArrayList<>(deletes);
                deletes.removeAll(kept);
                held = "source state reset: " + kept.size() + " services on live nodes not re-synced yet";
                if (!holding) {
                    log.info("{} {}: {} (held at most {} s after the reset)", datacenter, scope.name(), held,
                            settings.resyncHold().toSeconds());
                }
            }
        }
        Map<String, Entry> puts = new LinkedHashMap<>();
        int unprobed = 0;
        for (Map.Entry<String, Entry> e : snapshot.entries().entrySet()) {
            String key = e.getKey();
            Entry entry = e.getValue();
            if (afterReset && Scopes.unprobed(entry) && applied.containsKey(key)) {
                // Registered again after the reset, its check not probed yet (critical, no output):
                // not a failure. Keep what we had until Consul has probed it.
                unprobed++;
                continue;
            }
            if (!entry.equals(applied.get(key)) || this.held.contains(key)) {
                puts.put(key, entry);
            }
        }
        if (unprobed > 0 && held == null) {
            held = "source state reset: " + unprobed + " services registered again, their checks not probed yet";
        }
        holding = held != null;
        if (puts.isEmpty() && deletes.isEmpty()) {
            return new Reconciled(false, held);
        }
        writer.apply(datacenter, fence, puts, deletes, this.held);
        metrics.applied(datacenter, puts.size(), deletes.size());
        applied.putAll(puts);
        deletes.forEach(applied::remove);
        puts.keySet().forEach(this.held::remove);
        deletes.forEach(this.held::remove);
        log.debug("{} {}: applied {} puts, {} deletes", datacenter, scope.name(), puts.size(), deletes.size());
        return new Reconciled(true, held);
    }

    /**
     * Of these deletions, those of services on a node that is alive or not listed yet: after a reset
     * such a service has not been re-synced yet (3–47 s measured, one by one), it is not gone.
     */
    private List<String> awaitingResync(List<String> deletes) {
        Map<String, List<String>> byNode = new HashMap<>();
        for (String key : deletes) {
            Scopes.docNode(applied.get(key)).ifPresent(node -> byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(key));
        }
        if (byNode.isEmpty()) {
            return List.of();
        }
        List<String> kept = new ArrayList<>();
        for (String node : scope.awaitingResync(byNode.keySet())) {
            kept.addAll(byNode.get(node));
        }
        return kept;
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
