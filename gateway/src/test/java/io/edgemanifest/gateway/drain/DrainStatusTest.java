package io.edgemanifest.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.gateway.drain.DrainStatus.Outcome;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class DrainStatusTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @Test
    void hostsStillAttachedWithSomewhereToGoKeepTheDrainWaiting() {
        assertThat(DrainStatus.of(3, 2, Duration.ofSeconds(5), TIMEOUT).outcome()).isEqualTo(Outcome.DRAINING);
    }

    @Test
    void noHostNamingTheGatewayEndsTheDrainHoweverEarlyOrLate() {
        assertThat(DrainStatus.of(0, 2, Duration.ZERO, TIMEOUT).outcome()).isEqualTo(Outcome.DRAINED);
        assertThat(DrainStatus.of(0, 0, Duration.ofSeconds(90), TIMEOUT).outcome()).isEqualTo(Outcome.DRAINED);
    }

    @Test
    void theLastPassingGatewayDoesNotWaitForHostsThatHaveNowhereToGo() {
        DrainStatus status = DrainStatus.of(7, 0, Duration.ofSeconds(1), TIMEOUT);
        assertThat(status.outcome()).isEqualTo(Outcome.NOWHERE_TO_GO);
        assertThat(status.outcome().done()).isTrue();
        assertThat(status.describe("gateway-x")).contains("7 hosts have nowhere to move");
    }

    @Test
    void theTimeoutEndsADrainWithHostsStillAttached() {
        DrainStatus status = DrainStatus.of(4, 1, Duration.ofSeconds(60), TIMEOUT);
        assertThat(status.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(status.describe("gateway-x")).isEqualTo("gateway-x: drain timed out after 60.0 s with 4 hosts still attached");
    }

    @Test
    void aZeroTimeoutWaitsForNothing() {
        assertThat(DrainStatus.of(4, 1, Duration.ZERO, Duration.ZERO).outcome()).isEqualTo(Outcome.TIMED_OUT);
    }

    @Test
    void anAbortedDrainKeepsTheLastCounts() {
        DrainStatus aborted = DrainStatus.of(4, 1, Duration.ofSeconds(3), TIMEOUT).aborted();
        assertThat(aborted.outcome()).isEqualTo(Outcome.ABORTED);
        assertThat(aborted.attachedHosts()).isEqualTo(4);
        assertThat(DrainStatus.of(4, 1, Duration.ofSeconds(3), TIMEOUT).outcome().done()).isFalse();
    }
}
