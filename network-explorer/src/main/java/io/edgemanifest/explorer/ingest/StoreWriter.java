package io.edgemanifest.explorer.ingest;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.presence.Backoff;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ingest's outbox: changes decided but not yet committed, written oldest first, at most
 * {@link #BATCH} per transaction. Not thread-safe: ingest calls it under its lock.
 *
 * <ul>
 *   <li>A store that does not answer (down, restarting) or refuses every write keeps every change queued; writes are
 *       retried with back-off (250 ms … 10 s), so a status flip is delayed, never dropped, and keeps
 *       the time it was observed (#12 item 10).</li>
 *   <li>A store that answers but refuses a batch holds a row it cannot take: the batch is split
 *       in halves until that one change is alone, the others go through, and the refused change is
 *       stored without the record that broke it, the reason as its parse error (#12 item 3).</li>
 * </ul>
 */
final class StoreWriter {

    static final int BATCH = 500;
    private static final Logger log = LoggerFactory.getLogger(StoreWriter.class);

    private final DeviceStore store;
    private final RateLimitedWarn warn;
    private final Consumer<Device> substituted;
    private final ArrayDeque<Change> queue = new ArrayDeque<>();
    private final Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10));
    /** {@link System#nanoTime()} before which the store is not tried again (it just failed). */
    private long retryAtNanos;
    private boolean failing;
    private boolean recovered;
    private String lastFailure = "";

    /** @param substituted told of a device stored in place of one the store refused (ingest's memory follows) */
    StoreWriter(DeviceStore store, RateLimitedWarn warn, Consumer<Device> substituted) {
        this.store = store;
        this.warn = warn;
        this.substituted = substituted;
    }

    void add(Change change) {
        queue.add(change);
    }

    int size() {
        return queue.size();
    }

    /** True once after the store took writes again following a failure (then false until the next recovery). */
    boolean takeRecovered() {
        boolean r = recovered;
        recovered = false;
        return r;
    }

    /** Whether the last flush left changes queued because the store did not take them. */
    boolean failing() {
        return failing;
    }

    /**
     * Writes what is queued unless the store failed less than a back-off ago. True when nothing is
     * left queued. {@code committed} hears how many changes each transaction committed.
     */
    boolean flush(IntConsumer committed) {
        if (queue.isEmpty()) {
            return true;
        }
        if (failing && System.nanoTime() < retryAtNanos) {
            return false; // ingest's ticker calls again each second
        }
        int written = 0;
        while (!queue.isEmpty()) {
            List<Change> batch = new ArrayList<>(Math.min(BATCH, queue.size()));
            var it = queue.iterator();
            while (it.hasNext() && batch.size() < BATCH) {
                batch.add(it.next());
            }
            int applied = applyIsolated(batch);
            for (int i = 0; i < applied; i++) {
                queue.removeFirst();
            }
            written += applied;
            committed.accept(applied);
            if (applied < batch.size()) {
                Duration wait = backoff.next();
                retryAtNanos = System.nanoTime() + wait.toNanos();
                failing = true;
                warn.warn("store", "ingest: the store is not taking writes ({}); {} changes queued, retrying in {} ms",
                        InboundLimits.forLog(lastFailure), queue.size(), wait.toMillis());
                return false;
            }
        }
        if (failing) {
            failing = false;
            recovered = true;
            backoff.reset();
            warn.clear("store");
            log.info("ingest: the store takes writes again; {} queued changes written", written);
        }
        return true;
    }

    /**
     * Applies {@code batch}; returns how many of its changes, from the head, are committed (order
     * matters: two changes of one device are written in the order they were decided).
     */
    private int applyIsolated(List<Change> batch) {
        try {
            store.apply(batch);
            return batch.size();
        } catch (RuntimeException e) {
            if (!rowProblem(e)) {
                // Down, restarting, or refusing every write (explorer.ha's fence when another
                // Explorer ingests): no row is at fault, so nothing is split; all stays queued.
                lastFailure = Errors.rootMessage(e);
                log.debug("ingest: store write failed: {}", e.toString());
                return 0;
            }
            if (batch.size() > 1) {
                int half = batch.size() / 2;
                int first = applyIsolated(batch.subList(0, half));
                return first < half ? first : half + applyIsolated(batch.subList(half, batch.size()));
            }
            Change refused = batch.get(0);
            String why = Errors.rootMessage(e);
            warn.warn("refused:" + refused.device().id(), "ingest: the store refuses device {} ({}): storing it without its record",
                    refused.device().id(), InboundLimits.forLog(why));
            Change bare = withoutRecord(refused, why);
            try {
                store.apply(List.of(bare));
                substituted.accept(bare.device());
                return 1;
            } catch (RuntimeException again) {
                if (rowProblem(again)) {
                    // Nothing of the record is left to refuse: this change can never be stored, and
                    // keeping it would hold back every change queued behind it.
                    log.warn("ingest: the store refuses device {} even without its record ({}): change dropped",
                            refused.device().id(), InboundLimits.forLog(Errors.rootMessage(again)));
                    return 1;
                }
                lastFailure = Errors.rootMessage(again);
                return 0;
            }
        }
    }

    /**
     * The store refused the data itself (SQLState class 22, data exception: a value too long, a
     * character it cannot hold; class 23, a constraint): one row is at fault. Anything else —
     * no connection, a timeout, a fenced-out writer — is not a row's fault.
     */
    static boolean rowProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
                return true;
            }
        }
        return false;
    }

    /** The change with nothing from the record kept: what a store that refused it can still take. */
    static Change withoutRecord(Change change, String why) {
        Device d = change.device();
        String error = InboundLimits.stripControl("record not storable: " + why);
        Device bare = new Device(d.id(), d.kind(), d.datacenter(), d.status(), d.firstSeen(), d.lastSeen(), d.statusSince(),
                null, error.length() > 2000 ? error.substring(0, 2000) : error, null, null, null, Map.of());
        String detail = InboundLimits.stripControl(change.detail());
        return new Change(bare, change.event(), change.at(), detail);
    }
}
