package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HaConfigTest {

    @Test
    void defaultsAreTheExplorerLockWithATenSecondTtl() {
        assertThat(HaConfig.SOLO.enabled()).isFalse();
        assertThat(HaConfig.SOLO.lockKey()).isEqualTo("explorer/lock");
        assertThat(HaConfig.SOLO.lockTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(new HaConfig(true, "explorer/eu/lock", Duration.ofSeconds(3)).lockKey()).isEqualTo("explorer/eu/lock");
    }

    @Test
    void aTtlConsulCannotCountOrThatWouldHandOverForNothingIsRefusedNamingIt() {
        for (Duration bad : new Duration[] {Duration.ofSeconds(2), Duration.ofMillis(3500), Duration.ofHours(2)}) {
            assertThatThrownBy(() -> new HaConfig(true, "explorer/lock", bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("invalid --lock-ttl ");
        }
    }

    @Test
    void aKeyThatIsNotAPlainConsulKeyIsRefusedNamingIt() {
        for (String bad : new String[] {"", "/explorer/lock", "explorer/", "explorer//lock", "explorer lock", "ex\"plorer"}) {
            assertThatThrownBy(() -> new HaConfig(true, bad, Duration.ofSeconds(10)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--lock-key '" + bad + "'");
        }
    }
}
