package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExposureTest {

    @Test
    void loopbackNeedsNoLogin() {
        for (String bind : List.of("127.0.0.1", "127.0.0.2", "::1", "localhost")) {
            assertThat(Exposure.check(bind, false, false)).as(bind).isFalse();
        }
    }

    @Test
    void anyOtherAddressWithoutALoginIsRefusedNamingIt() {
        for (String bind : List.of("0.0.0.0", "::", "10.1.2.3", "192.168.1.20")) {
            assertThatThrownBy(() -> Exposure.check(bind, false, false)).as(bind)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("refusing --bind " + bind + " without --auth-file")
                    .hasMessageContaining("--insecure");
        }
    }

    @Test
    void aLoginOrInsecureAllowsIt() {
        assertThat(Exposure.check("0.0.0.0", true, false)).isFalse();
        assertThat(Exposure.check("0.0.0.0", false, true)).as("allowed, and the caller warns").isTrue();
    }

    @Test
    void webConfigRefusesABadMetricsAddressOrAShortIdle() {
        assertThatThrownBy(() -> WebConfig.of(null, java.time.Duration.ofHours(1), "9465"))
                .hasMessage("invalid --metrics '9465' (use HOST:PORT, e.g. 127.0.0.1:9465)");
        assertThatThrownBy(() -> WebConfig.of(null, java.time.Duration.ofHours(1), "127.0.0.1:70000"))
                .hasMessageContaining("invalid --metrics '127.0.0.1:70000'");
        assertThatThrownBy(() -> WebConfig.of(null, java.time.Duration.ofSeconds(5), null))
                .hasMessageContaining("invalid --session-idle PT5S");
        assertThat(WebConfig.of(null, java.time.Duration.ofHours(1), "127.0.0.1:0").metricsOnApiPort()).isFalse();
    }
}
