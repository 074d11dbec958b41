package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ReplicateMetricsTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final ReplicateMetrics metrics = new ReplicateMetrics(registry, () -> 0, new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    });

    private double age(String source) {
        return registry.get("replicate_last_success_age_seconds").tag("source", source).gauge().value();
    }

    private void advance(long seconds) {
        now.set(now.get().plusSeconds(seconds));
    }

    @Test
    void theAgeOfASourceIsThatOfItsOldestScopesLastAnswer() {
        metrics.holding("sg-a");
        metrics.answered("sg-a", "services");
        metrics.answered("sg-a", "kv");
        advance(30);
        metrics.answered("sg-a", "kv"); // services hangs: the source is as silent as that scope
        advance(15);
        assertThat(age("sg-a")).isEqualTo(45.0);

        metrics.answered("sg-a", "services");
        assertThat(age("sg-a")).isEqualTo(15.0);
    }

    @Test
    void sourcesAgeApartAndErrorsStartAtZeroWithTheFirstAnswer() {
        metrics.holding("sg-a");
        metrics.holding("sg-b");
        metrics.answered("sg-a", "kv");
        advance(10);
        metrics.answered("sg-b", "kv");
        advance(5);
        assertThat(age("sg-a")).isEqualTo(15.0);
        assertThat(age("sg-b")).isEqualTo(5.0);

        metrics.up("sg-a", true);
        assertThat(registry.get("replicate_errors").tag("source", "sg-a").counter().count()).isZero();
        metrics.error("sg-a");
        assertThat(registry.get("replicate_errors").tag("source", "sg-a").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aSourceHandedOverLosesItsGaugesAndALateAnswerDoesNotBringThemBack() {
        metrics.holding("sg-a");
        metrics.holding("sg-b");
        metrics.answered("sg-a", "kv");
        metrics.up("sg-a", true);
        metrics.answered("sg-b", "kv");
        metrics.up("sg-b", true);

        metrics.forget("sg-a");
        metrics.answered("sg-a", "kv"); // a scope still stopping answers once more
        metrics.up("sg-a", false);
        advance(600);

        assertThat(registry.find("replicate_last_success_age_seconds").tag("source", "sg-a").gauge()).isNull();
        assertThat(registry.find("replicate_source_up").tag("source", "sg-a").gauge()).isNull();
        assertThat(age("sg-b")).isEqualTo(600.0);
        assertThat(registry.get("replicate_source_up").tag("source", "sg-b").gauge().value()).isEqualTo(1.0);

        // Taken back later: exported afresh, not from the answer it had before the hand-over.
        metrics.holding("sg-a");
        metrics.answered("sg-a", "kv");
        advance(5);
        assertThat(age("sg-a")).isEqualTo(5.0);
    }
}
