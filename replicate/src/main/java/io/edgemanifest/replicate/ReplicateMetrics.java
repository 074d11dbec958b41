package io.edgemanifest.replicate;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What one replicate instance exposes at {@code /metrics}, and the counters its tests read.
 * Per source: apply lag (histogram), operations by verb, errors, up/down; per instance: transactions,
 * guard trips, index resets, sources held.
 */
final class ReplicateMetrics {

    private final MeterRegistry registry;
    private final Counter transactions;
    private final Counter guardTrips;
    private final Counter indexResets;
    private final java.util.concurrent.atomic.AtomicLong fenced = new java.util.concurrent.atomic.AtomicLong();
    /** The per-source gauges of the sources this instance holds; guarded by {@code this}. */
    private final Map<String, SourceGauges> held = new java.util.HashMap<>();
    private final java.time.Clock clock;

    ReplicateMetrics(MeterRegistry registry, Supplier<Number> held) {
        this(registry, held, java.time.Clock.systemUTC());
    }

    /** @param clock what the age of a source's last answer is measured with */
    ReplicateMetrics(MeterRegistry registry, Supplier<Number> held, java.time.Clock clock) {
        this.registry = registry;
        this.clock = clock;
        this.transactions = Counter.builder("replicate_transactions").description("Consul transactions written to the destination").register(registry);
        this.guardTrips = Counter.builder("replicate_delete_guard_trips").description("answers that needed a confirming read before deleting").register(registry);
        this.indexResets = Counter.builder("replicate_index_resets").description("times a source index went backwards").register(registry);
        // strongReference: the supplier is a method reference nothing else holds; a weak gauge read NaN once it was collected.
        io.micrometer.core.instrument.Gauge.builder("replicate_sources_held", held, s -> s.get().doubleValue())
                .description("sources this instance holds the lock of").strongReference(true).register(registry);
    }

    void transaction() {
        transactions.increment();
    }

    /** A value the destination would not take (over its size limit): skipped, logged, counted. */
    void quarantined(String source) {
        Counter.builder("replicate_quarantined").description("source values the destination refused (too large), skipped")
                .tag("source", source).register(registry).increment();
    }

    /** A write the destination refused because this instance no longer holds the source's lock. */
    void fenced(String source) {
        Counter.builder("replicate_fenced_writes").description("writes refused by the lock fence (check-session)")
                .tag("source", source).register(registry).increment();
        fenced.incrementAndGet();
    }

    long fencedWrites() {
        return fenced.get();
    }

    void guardTripped() {
        guardTrips.increment();
    }

    void indexReset() {
        indexResets.increment();
    }

    void applied(String source, int puts, int deletes) {
        Counter.builder("replicate_ops").tag("source", source).tag("verb", "set").register(registry).increment(puts);
        Counter.builder("replicate_ops").tag("source", source).tag("verb", "delete").register(registry).increment(deletes);
    }

    /** From a source's answer to the replica written. */
    void lag(String source, Duration lag) {
        Timer.builder("replicate_lag").tag("source", source).publishPercentileHistogram()
                .description("from a source's answer to the replica written").register(registry).record(lag);
    }

    /**
     * The gauges of one held source, registered on its first answer. Gauges, unlike counters, say
     * "now": a source handed to another instance must lose them here, or its age would keep growing
     * from a frozen answer and {@code ReplicateSourceSilent} would fire for a source replicated fine.
     */
    private static final class SourceGauges {
        final Map<String, Instant> lastAnswers = new ConcurrentHashMap<>();
        final AtomicInteger up = new AtomicInteger();
        io.micrometer.core.instrument.Gauge ageGauge;
        io.micrometer.core.instrument.Gauge upGauge;
    }

    /** This instance took the lock of {@code source}: its answers are exported from now on. */
    synchronized void holding(String source) {
        held.putIfAbsent(source, new SourceGauges());
    }

    /**
     * This instance no longer replicates {@code source} (handed over, lock lost, closing): its
     * {@code replicate_source_up} and {@code replicate_last_success_age_seconds} go, and a late
     * answer of a scope still stopping does not bring them back. Counters stay (rate() needs them).
     */
    synchronized void forget(String source) {
        SourceGauges gauges = held.remove(source);
        if (gauges != null) {
            if (gauges.ageGauge != null) {
                registry.remove(gauges.ageGauge);
            }
            if (gauges.upGauge != null) {
                registry.remove(gauges.upGauge);
            }
        }
    }

    /**
     * The source answered one scope (changes or not: a blocking read that ran out answers too). Its
     * {@code replicate_last_success_age_seconds} is the age of the oldest scope's last answer, so a
     * source is silent when any of its scopes is — even while it still counts as up.
     */
    synchronized void answered(String source, String scope) {
        SourceGauges gauges = held.get(source);
        if (gauges == null) {
            return; // not ours (any more)
        }
        if (gauges.ageGauge == null) {
            Map<String, Instant> byScope = gauges.lastAnswers;
            // strongReference: the map is held by this object only, a weak gauge would read NaN once collected.
            gauges.ageGauge = io.micrometer.core.instrument.Gauge.builder("replicate_last_success_age_seconds", byScope,
                            m -> m.values().stream().min(Instant::compareTo)
                                    .map(t -> Duration.between(t, clock.instant()).toMillis() / 1000.0).orElse(Double.NaN))
                    .tag("source", source).description("seconds since the source last answered (the oldest of its scopes)")
                    .strongReference(true).register(registry);
        }
        gauges.lastAnswers.put(scope, clock.instant());
    }

    void error(String source) {
        Counter.builder("replicate_errors").tag("source", source).register(registry).increment();
    }

    synchronized void up(String source, boolean isUp) {
        SourceGauges gauges = held.get(source);
        if (gauges == null) {
            return; // not ours (any more)
        }
        if (gauges.upGauge == null) {
            // Its errors series exists from the first answer on, at 0: rate() and alerts see a healthy source too.
            Counter.builder("replicate_errors").tag("source", source).register(registry);
            gauges.upGauge = io.micrometer.core.instrument.Gauge.builder("replicate_source_up", gauges.up, AtomicInteger::get)
                    .tag("source", source).description("1 while the source answers, 0 while its reads fail")
                    .strongReference(true).register(registry);
        }
        gauges.up.set(isUp ? 1 : 0);
    }

    long transactions() {
        return (long) transactions.count();
    }

    long guardTrips() {
        return (long) guardTrips.count();
    }

    long indexResets() {
        return (long) indexResets.count();
    }
}
