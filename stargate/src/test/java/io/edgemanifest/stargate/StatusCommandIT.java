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
    void aStargateServingTlsAnswersOnlyAClientTrustingItsCertificate(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        io.edgemanifest.testing.TlsFiles tls = io.edgemanifest.testing.TlsFiles.selfSigned(dir, "stargate");
        StatusSource fixed = () -> new StatusSnapshot("sg-tls", 1, 1, 2);
        try (HealthServer server = HealthServer.builder(new HealthServer.Config("127.0.0.1", 0, tls.cert(), tls.key()))
                .addService(new StargateStatusService("stargate-tls-1", fixed)).build().start()) {
            String address = "127.0.0.1:" + server.port();

            RunnableJar.Result trusting = jar.run("status", "--address", address, "--ca-file", tls.cert().toString());
            RunnableJar.Result plain = jar.run("status", "--address", address);

            assertThat(trusting.exitCode()).as(trusting.output()).isZero();
            assertThat(trusting.output().lines()).contains("datacenter: sg-tls");
            assertThat(plain.exitCode()).isEqualTo(1);
            assertThat(plain.output().strip().lines()).hasSize(1);
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
