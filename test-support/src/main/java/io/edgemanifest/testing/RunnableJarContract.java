package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * What every program's self-contained jar must do, whatever the program: print its usage, answer
 * a bad flag with one line and exit code 2, and carry gRPC's merged service providers (a jar
 * that lost them starts and then cannot connect). Each module's {@code RunnableJarIT} extends it.
 */
public abstract class RunnableJarContract {

    private final String module;
    private final RunnableJar jar;

    protected RunnableJarContract(String module) {
        this.module = module;
        this.jar = RunnableJar.of(module);
    }

    @Test
    void helpDescribesTheCommandAndExitsZero() {
        RunnableJar.Result result = jar.run("--help");
        assertThat(result.exitCode()).isZero();
        assertThat(result.output()).contains("Usage: " + module);
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
