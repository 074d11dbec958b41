package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.testing.RunnableJar;
import org.junit.jupiter.api.Test;

class RunnableJarIT {

    private final RunnableJar jar = RunnableJar.of("stargate");

    @Test
    void helpDescribesTheCommandAndExitsZero() {
        RunnableJar.Result result = jar.run("--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).contains("Usage: stargate");
    }

    @Test
    void unknownFlagIsOneLineNamingItWithExitCodeTwo() {
        RunnableJar.Result result = jar.run("--no-such-flag");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output().strip().lines()).hasSize(1);
        assertThat(result.output()).contains("--no-such-flag");
    }

    @Test
    void jarMergesGrpcServiceProviders() {
        assertThat(jar.serviceProviders("io.grpc.ManagedChannelProvider")).anyMatch(p -> p.contains("Netty"));
        assertThat(jar.serviceProviders("io.grpc.NameResolverProvider")).isNotEmpty();
    }
}
