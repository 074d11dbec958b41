package io.edgemanifest.explorer.ha;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.explorer.store.WriteFence;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether this Explorer ingests, and fences the store accordingly.
 *
 * <p>With HA on: hold the Consul lock ({@link IngestLock}), then raise the store's epoch
 * ({@link IngestEpoch#claim}), then check the lock is still ours — only then ingest, with every
 * write fenced by that epoch. A holder steps down when its session or key is gone, or when the
 * store shows a newer epoch (a frozen holder that thaws learns it from the store even before
 * Consul answers it). A standby waits on the key with a blocking query and takes it the moment it
 * is freed. Consul being unreachable changes nothing by itself: the store's fence keeps a holder
 * that lost its lock meanwhile from writing.
 *
 * <p>With HA off: claim the epoch once at start and ingest; if another Explorer claims the same
 * store later, stop ingesting (and say so) rather than write beside it.
 */
public final class IngestLeadership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestLeadership.class);

    /** What the Explorer does on a change of role; called one at a time, off the lease thread. */
    public interface Listener {
        /** Start ingesting: the store already fences with {@code epoch}. */
        void lead(long epoch);

        /** Stop ingesting (the store already refuses this Explorer's writes). */
        void standBy(String why);
    }

    private final HaConfig config;
    private final String id;
    private final IngestEpoch epoch;
    private final Consumer<WriteFence> fenceStore;
    private final Listener listener;
    private final IngestLock lock;
    private final Duration beat;
    private final ExecutorService switcher;
    private final Semaphore wake = new Semaphore(0);
    private final Counter fenced;
    private final Counter takeovers;
    private Thread thread;
    private volatile boolean running = true;
    private volatile boolean leading;
    private volatile long myEpoch;
    private long term;
    private boolean soloDone;
    private String lastProblem;

    /**
     * @param endpoint   the Explorer's Consul (used only with HA on)
     * @param id         this Explorer's instance ID (its service ID, and the epoch's holder)
     * @param lockValue  what the lock key holds while we hold it
     * @param fenceStore installs a fence in the store
     */
    public IngestLeadership(HaConfig config, ConsulEndpoint endpoint, String id, String lockValue, IngestEpoch epoch,
                            Consumer<WriteFence> fenceStore, Listener listener, MeterRegistry metrics) {
        this.config = Objects.requireNonNull(config, "config");
        this.id = Objects.requireNonNull(id, "id");
        this.epoch = Objects.requireNonNull(epoch, "epoch");
        this.fenceStore = Objects.requireNonNull(fenceStore, "fenceStore");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.beat = config.lockTtl().dividedBy(3);
        this.lock = config.enabled() ? new IngestLock(endpoint, id, config.lockKey(), config.lockTtl(), lockValue) : null;
        this.switcher = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "explorer-ingest-switch");
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("explorer_ingest_leader", this, l -> l.leading ? 1 : 0)
                .description("1 while this Explorer ingests (holds the lease), 0 on standby").register(metrics);
        Gauge.builder("explorer_ingest_epoch", this, l -> l.leading ? l.myEpoch : 0)
                .description("the store epoch this Explorer ingests under (0 on standby)").register(metrics);
        this.fenced = Counter.builder("explorer_ingest_fenced").description("times the store refused this Explorer's epoch")
                .register(metrics);
        this.takeovers = Counter.builder("explorer_ingest_takeovers").description("times this Explorer started ingesting")
                .register(metrics);
        fenceStore.accept(WriteFence.CLOSED); // nothing is written before the lease is ours
    }

    public IngestLeadership start() {
        thread = Thread.ofPlatform().daemon().name("explorer-ingest-lease").start(this::run);
        return this;
    }

    /** Whether this Explorer ingests now. */
    public boolean leading() {
        return leading;
    }

    private void run() {
        while (running) {
            try {
                if (lock == null) {
                    soloRound();
                } else {
                    haRound();
                }
                lastProblem = null;
            } catch (RuntimeException e) {
                String problem = io.edgemanifest.core.Errors.rootMessage(e);
                if (!problem.equals(lastProblem)) {
                    log.warn("{}: ingest lease: {} (retrying; {})", id, problem,
                            leading ? "still ingesting, fenced by the store's epoch" : "standing by");
                    lastProblem = problem;
                }
                log.debug("ingest lease round failed", e);
                pause(beat);
                continue;
            }
            if (!running) {
                return;
            }
            if (lock == null || leading) {
                pause(beat); // one SELECT of the epoch per beat: cheap, and a refused write wakes us at once
            } else {
                try {
                    lock.awaitChange(beat); // wakes the moment the holder's key is deleted
                } catch (RuntimeException e) {
                    log.debug("waiting on the ingest lock failed", e);
                    pause(beat);
                }
            }
        }
    }

    private void soloRound() {
        if (soloDone) {
            return;
        }
        if (!leading) {
            becomeLeader(epoch.claim(id));
            return;
        }
        IngestEpoch.Lease now = epoch.current();
        if (now.epoch() != myEpoch) {
            fenced.increment();
            stepDown("another Explorer (" + now.holder() + ") claimed this store's ingest (epoch " + now.epoch()
                    + "); this one keeps serving the API without ingesting. Run several Explorers on one store only with --ha");
            soloDone = true;
        }
    }

    private void haRound() {
        RuntimeException storeProblem = null;
        if (leading) {
            // The store first: it answers even when Consul does not, and it is what fences writes.
            try {
                IngestEpoch.Lease now = epoch.current();
                if (now.epoch() != myEpoch) {
                    fenced.increment();
                    stepDown("fenced: " + now.holder() + " raised the store's epoch to " + now.epoch());
                    releaseQuietly();
                    return;
                }
            } catch (RuntimeException e) {
                storeProblem = e; // a store that does not answer must not stop the heartbeat: that would hand over for nothing
            }
        }
        boolean sessionLost = lock.heartbeat();
        if (leading && (sessionLost || !lock.holds())) {
            stepDown(sessionLost ? "our session ended (lock lost)" : "the lock is no longer ours");
            return;
        }
        if (storeProblem != null) {
            throw storeProblem;
        }
        if (!leading && lock.tryAcquire()) {
            long claimed;
            try {
                claimed = epoch.claim(id);
            } catch (RuntimeException e) {
                // Held without the store's lease, the lock would keep every standby out while nobody
                // ingests (this Explorer cannot reach the store; another may): give it back, retry next round.
                releaseQuietly();
                throw e;
            }
            // Between our acquire and our claim we may have frozen, lost the lock and let another
            // Explorer claim: then our claim fenced it out, and it must not be us who writes.
            if (lock.holds()) {
                becomeLeader(claimed);
            } else {
                log.warn("{}: lost the ingest lock while claiming epoch {}: standing by", id, claimed);
            }
        }
    }

    private synchronized void becomeLeader(long claimed) {
        term++;
        long t = term;
        leading = true;
        myEpoch = claimed;
        takeovers.increment();
        java.util.concurrent.atomic.AtomicBoolean told = new java.util.concurrent.atomic.AtomicBoolean();
        WriteFence fence = epoch.fence(claimed, () -> onRefused(claimed, told));
        log.info("{}: ingesting (store epoch {})", id, claimed);
        switcher.execute(() -> {
            synchronized (this) {
                if (term != t) {
                    return; // stepped down meanwhile
                }
                fenceStore.accept(fence);
            }
            try {
                listener.lead(claimed);
            } catch (RuntimeException e) {
                // Holding the lease without ingesting would stall the network's history: let it go.
                log.warn("{}: could not start ingesting (epoch {}): {}", id, claimed, io.edgemanifest.core.Errors.rootMessage(e), e);
                stepDown("ingest did not start");
                if (lock != null) {
                    releaseQuietly();
                }
                wake.release();
            }
        });
    }

    private synchronized void stepDown(String why) {
        if (!leading) {
            return;
        }
        term++;
        leading = false;
        fenceStore.accept(WriteFence.CLOSED);
        log.warn("{}: stopped ingesting: {}", id, why);
        switcher.execute(() -> listener.standBy(why));
    }

    /** A write refused by the store: someone else claimed it. Look at once, not at the next beat. */
    private void onRefused(long refusedEpoch, java.util.concurrent.atomic.AtomicBoolean told) {
        if (told.compareAndSet(false, true)) { // ingest may retry a refused batch piece by piece: say it once
            log.warn("{}: the store refused a write of epoch {}: another Explorer ingests now", id, refusedEpoch);
        }
        wake.release();
    }

    private void releaseQuietly() {
        try {
            lock.release();
        } catch (RuntimeException e) {
            log.debug("releasing the ingest lock failed", e);
        }
    }

    private void pause(Duration d) {
        try {
            if (wake.tryAcquire(d.toMillis(), TimeUnit.MILLISECONDS)) {
                wake.drainPermits();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (leading) {
                term++;
                leading = false;
                fenceStore.accept(WriteFence.CLOSED);
            }
        }
        switcher.shutdown();
        try {
            switcher.awaitTermination(10, TimeUnit.SECONDS); // a takeover in progress finishes before the Explorer closes its ingest
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (lock != null) {
            lock.close(); // destroying the session frees the lock at once for a standby
        }
    }
}
