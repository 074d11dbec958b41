package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import org.junit.jupiter.api.Test;

/** {@code stargate status} run from the shaded jar as a real process. */
class StatusCommandIT {

    private final RunnableJar jar = RunnableJar.of("stargate");

    @Test
    void printsTheReplyOfARunningStargate() throws Exception {
        StatusSource fixed = () -> new StatusSnapshot("sg-west", 12, 2, 14);
        try (HealthServer server = HealthServer.builder(new HealthServer.Config("127.0.0.1", 0))
                .addService(new StargateStatusService("stargate-west-1", fixed)).build().start()) {

            RunnableJar.Result result = jar.run("status", "--address", "127.0.0.1:" + server.port());

            assertThat(result.exitCode()).as(result.output()).isZero();
            assertThat(result.output().lines()).contains(
                    "stargate: stargate-west-1",
                    "datacenter: sg-west",
                    "passing hosts: 12",
                    "passing gateways: 2",
                    "sessions: 14");
        }
    }

    @Test
    void aMalformedAddressIsOneLineNamingItWithExitCodeTwo() {
        RunnableJar.Result result = jar.run("status", "--address", "127.0.0.1:notaport");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output().strip().lines()).hasSize(1);
        assertThat(result.output()).contains("127.0.0.1:notaport");
    }

    @Test
    void anUnreachableStargateIsOneLineWithExitCodeOne() {
        int nobodyListens = FreePorts.next();

        RunnableJar.Result result = jar.run("status", "--address", "127.0.0.1:" + nobodyListens);

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.output().strip().lines()).hasSize(1);
        assertThat(result.output()).contains("127.0.0.1:" + nobodyListens).contains("UNAVAILABLE");
    }

    @Test
    void statusHelpDescribesTheAddressOption() {
        RunnableJar.Result result = jar.run("status", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).contains("Usage: stargate status").contains("--address");
    }
}
