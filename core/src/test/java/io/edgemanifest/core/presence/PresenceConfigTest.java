package io.edgemanifest.core.presence;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PresenceConfigTest {

    private static final ConsulEndpoint CONSUL = ConsulEndpoint.parse("http://127.0.0.1:8500", "");

    @Test
    void aTtlNodesRequestTimeoutLeavesTheRetryOfAHungBeatAQuarterOfTheTtlBeforeTheExpiry() {
        CheckSpec.Ttl check = CheckSpec.Ttl.of(Duration.ofSeconds(15)); // beats every 7.5 s
        Duration timeout = PresenceConfig.of(CONSUL, check).requestTimeout();

        assertThat(timeout).isEqualTo(Duration.ofMillis(3750));
        // The check was passed one heartbeat before the hung beat was sent; the patient retry
        // goes out when the hung beat times out, and must leave time before the TTL runs out.
        Duration retrySentAfterLastPass = check.heartbeat().plus(timeout);
        assertThat(check.ttl().minus(retrySentAfterLastPass)).isGreaterThanOrEqualTo(check.ttl().dividedBy(4));
    }

    @Test
    void theRequestTimeoutStaysBetweenOneAndTenSeconds() {
        assertThat(PresenceConfig.of(CONSUL, CheckSpec.Ttl.of(Duration.ofSeconds(2))).requestTimeout())
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(PresenceConfig.of(CONSUL, CheckSpec.Ttl.of(Duration.ofMinutes(5))).requestTimeout())
                .isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void aGrpcNodesRequestTimeoutIsItsTickInterval() {
        CheckSpec.Grpc check = CheckSpec.Grpc.of("127.0.0.1:9000");
        Duration tick = check.tickInterval();
        Duration expected = tick.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : tick.compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : tick;
        assertThat(PresenceConfig.of(CONSUL, check).requestTimeout()).isEqualTo(expected);
    }
}
