package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every program's self-contained jar must do, whatever the program: print its usage, answer
 * a bad flag with one line and exit code 2, and carry gRPC's merged service providers (a jar
 * that lost them starts and then cannot connect). Each module's {@code RunnableJarIT} extends it.
 */
public abstract class RunnableJarContract {

    /** A Consul that requires a token (ACLs on, default deny). */
    @RegisterExtension
    protected static final ConsulExtension aclConsul = ConsulExtension.datacentersWithAcls("jar-acl");

    @TempDir
    protected Path dir;

    private final String module;
    private final RunnableJar jar;
    private final String[] runArgs;

    /**
     * @param runArgs the flags that start the program against a Consul: {@code {consul}} and
     *                {@code {dir}} are replaced by the Consul URL and a fresh directory
     */
    protected RunnableJarContract(String module, String... runArgs) {
        this.module = module;
        this.jar = RunnableJar.of(module);
        this.runArgs = runArgs.clone();
    }

    private String[] runArgs() {
        return Arrays.stream(runArgs).map(a -> a.replace("{consul}", aclConsul.agent().httpUrl())
                .replace("{dir}", dir.toString())).toArray(String[]::new);
    }

    @Test
    void withoutATokenAgainstAConsulThatRequiresOneItSaysSoInOneLineAndExitsTwo() {
        RunnableJar.Result result = jar.run(runArgs());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        assertThat(result.output()).contains("requires an ACL token", "EDGE_TOKEN", "--token-file");
    }

    @Test
    void anUnknownTokenIsNamedByItsSourceNeverPrinted() {
        String token = UUID.randomUUID().toString();
        RunnableJar.Result result = jar.run(Map.of("EDGE_TOKEN", token), runArgs());
        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        assertThat(result.output()).contains("does not know the token from EDGE_TOKEN").doesNotContain(token);
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
