package io.edgemanifest.core.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CheckSpecTest {

    @Test
    void ttlBeatsAtHalfTheTtl() {
        assertThat(CheckSpec.Ttl.of(Duration.ofSeconds(15)).heartbeat()).isEqualTo(Duration.ofMillis(7500));
        assertThat(CheckSpec.Ttl.of(Duration.ofSeconds(3)).heartbeat()).isEqualTo(Duration.ofMillis(1500));
    }

    @Test
    void ttlMustBeAtLeastTwoHeartbeats() {
        assertThatThrownBy(() -> new CheckSpec.Ttl(Duration.ofSeconds(5), Duration.ofMillis(2600)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5s");
        assertThat(new CheckSpec.Ttl(Duration.ofSeconds(5), Duration.ofMillis(2500)).heartbeat())
                .isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void ttlMustBeWholePositiveSeconds() {
        assertThatThrownBy(() -> CheckSpec.Ttl.of(Duration.ofMillis(500))).hasMessageContaining("500ms");
        assertThatThrownBy(() -> CheckSpec.Ttl.of(Duration.ofMillis(1500))).hasMessageContaining("1500ms");
        assertThatThrownBy(() -> CheckSpec.Ttl.of(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void grpcNeedsHostAndPort() {
        assertThat(CheckSpec.Grpc.of("127.0.0.1:9090").interval()).isEqualTo(Duration.ofSeconds(5));
        assertThatThrownBy(() -> CheckSpec.Grpc.of("no-port")).hasMessageContaining("no-port");
    }

    @Test
    void backoffGrowsToItsCapWithJitterAndResets() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));
        Duration first = backoff.next();
        assertThat(first).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        for (int i = 0; i < 20; i++) {
            assertThat(backoff.next()).isBetween(Duration.ZERO, Duration.ofSeconds(2));
        }
        assertThat(backoff.next()).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        backoff.reset();
        assertThat(backoff.next()).isLessThanOrEqualTo(Duration.ofMillis(100));
    }
}
