package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.testing.RunnableJar;
import io.edgemanifest.testing.RunnableJarContract;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnableJarIT extends RunnableJarContract {

    RunnableJarIT() {
        super("network-explorer", "--consul", "{consul}", "--data-dir", "{dir}/explorer", "--port", "0");
    }

    @Test
    void aTokenThatMayNotReadTheReplicaIsOneLineAndExitTwoNotAnEmptyNetwork() {
        // Consul would filter its recursive reads down to nothing: every device would look gone.
        String token = aclConsul.agent().createToken("test-not-the-replica", "key_prefix \"other/\" { policy = \"read\" }");
        RunnableJar.Result result = RunnableJar.of("network-explorer").run(Map.of("EDGE_TOKEN", token),
                "--consul", aclConsul.agent().httpUrl(), "--data-dir", dir.resolve("explorer").toString(), "--port", "0");

        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output().strip().lines()).hasSize(1);
        assertThat(result.output()).contains("may not read replica/").doesNotContain(token);
    }
}
