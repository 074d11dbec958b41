package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class StargateMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final AtomicInteger reads = new AtomicInteger();
    private volatile RuntimeException failure;
    private volatile StatusSnapshot snapshot = new StatusSnapshot("sg-a", 10, 2, 13);

    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };

    private final StargateMetrics metrics = new StargateMetrics(() -> {
        reads.incrementAndGet();
        if (failure != null) {
            throw failure;
        }
        return snapshot;
    }, "sg-a", registry, clock, Duration.ofSeconds(5));

    private double gauge(String name) {
        return registry.get(name).tag("datacenter", "sg-a").gauge().value();
    }

    @Test
    void exportsTheStatusNumbersOfItsDatacenter() {
        metrics.refresh();
        assertThat(gauge("stargate_passing_hosts")).isEqualTo(10);
        assertThat(gauge("stargate_passing_gateways")).isEqualTo(2);
        assertThat(gauge("stargate_sessions")).isEqualTo(13);
        assertThat(gauge("stargate_consul_up")).isEqualTo(1);
    }

    @Test
    void readsConsulAtMostOncePerIntervalHoweverOftenItIsScraped() {
        metrics.refresh();
        snapshot = new StatusSnapshot("sg-a", 7, 2, 9);
        now.set(now.get().plusSeconds(4));
        metrics.refresh();
        assertThat(reads).hasValue(1);
        assertThat(gauge("stargate_passing_hosts")).isEqualTo(10);

        now.set(now.get().plusSeconds(1));
        metrics.refresh();
        assertThat(reads).hasValue(2);
        assertThat(gauge("stargate_passing_hosts")).isEqualTo(7);
    }

    @Test
    void aConsulThatDoesNotAnswerIsDownWhileTheLastNumbersStay() {
        metrics.refresh();
        failure = new IllegalStateException("connection refused");
        now.set(now.get().plusSeconds(5));
        metrics.refresh();
        assertThat(gauge("stargate_consul_up")).isZero();
        assertThat(gauge("stargate_passing_hosts")).as("not a fall to zero").isEqualTo(10);
    }

    @Test
    void beforeAnyReadTheCountsAreUnknownNotZero() {
        assertThat(gauge("stargate_passing_hosts")).isNaN();
        assertThat(gauge("stargate_consul_up")).isZero();
    }
}
