package io.edgemanifest.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The drain's ends that need no Consul: nothing here reaches one (port 1 refuses). */
class DrainerTest {

    private static final ConsulEndpoint NOWHERE = ConsulEndpoint.parse("http://127.0.0.1:1", null);

    @Test
    void aSecondSignalBeforeTheStopAskedForItsDrainStillCutsItShort() throws Exception {
        AtomicInteger notServing = new AtomicInteger();
        Drainer drainer = new Drainer("gateway-1", NOWHERE, Duration.ofSeconds(60), notServing::incrementAndGet);

        drainer.abort(); // the second signal, before Gateway.close() reached drain()
        DrainStatus status = drainer.drain(null).get(1, TimeUnit.SECONDS);

        assertThat(status.outcome()).isEqualTo(DrainStatus.Outcome.ABORTED);
        assertThat(notServing).hasValue(0);
    }

    @Test
    void anErrorInTheDrainStillEndsItSoTheStopDoesNotHang() throws Exception {
        Drainer drainer = new Drainer("gateway-1", NOWHERE, Duration.ofSeconds(60), () -> {
            throw new AssertionError("broken");
        });

        DrainStatus status = drainer.drain(null).get(5, TimeUnit.SECONDS);

        assertThat(status.outcome()).isEqualTo(DrainStatus.Outcome.ABORTED);
        drainer.close();
    }

    @Test
    void theOperatorsDrainIsRefusedWhenItCannotSeeAnotherGatewayAndTheGatewayKeepsServing() throws Exception {
        AtomicInteger notServing = new AtomicInteger();
        Drainer drainer = new Drainer("gateway-1", NOWHERE, Duration.ofSeconds(60), notServing::incrementAndGet);

        DrainStatus status = drainer.drain(null, true).get(10, TimeUnit.SECONDS);

        assertThat(status.outcome()).isEqualTo(DrainStatus.Outcome.REFUSED);
        assertThat(notServing).hasValue(0);
        drainer.close();
    }
}
