package io.edgemanifest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.testing.RunnableJar;
import io.edgemanifest.testing.RunnableJarContract;
import org.junit.jupiter.api.Test;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("gateway", "--consul", "{consul}", "--state-dir", "{dir}/gw");
    }

    @Test
    void aMalformedMetricsAddressIsOneLineNamingItWithExitTwo() {
        RunnableJar.Result result = RunnableJar.of("gateway").run("--consul", aclConsul.agent().httpUrl(),
                "--state-dir", dir.resolve("gw").toString(), "--metrics", "127.0.0.1:http");
        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        assertThat(result.output()).contains("invalid --metrics '127.0.0.1:http'");
    }
}
