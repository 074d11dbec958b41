package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The HA flags are validated like every flag, and an H2 store refuses a second Explorer clearly. */
class ExplorerHaFlagsIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.single();

    @TempDir
    Path dir;

    @Test
    void badHaFlagsAreOneLineNamingTheValueWithExitCodeTwo() {
        record Case(List<String> args, String says) {
        }
        for (Case c : List.of(
                new Case(List.of("--ha"), "--ha"),
                new Case(List.of("--lock-ttl", "1s"), "--lock-ttl 1s"),
                new Case(List.of("--lock-ttl", "3500ms"), "--lock-ttl 3500ms"),
                new Case(List.of("--lock-ttl", "soon"), "soon"),
                new Case(List.of("--lock-key", "/explorer/lock"), "--lock-key '/explorer/lock'"),
                new Case(List.of("--lock-key", "explorer lock"), "--lock-key 'explorer lock'"))) {
            List<String> args = new java.util.ArrayList<>(List.of("--consul", consul.agent().httpUrl(),
                    "--data-dir", dir.resolve("flags").toString(), "--port", "0"));
            args.addAll(c.args());
            RunnableJar.Result result = RunnableJar.of("network-explorer").run(args.toArray(String[]::new));
            assertThat(result.exitCode()).as(c.args() + " -> " + result.output()).isEqualTo(2);
            assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
            assertThat(result.output()).contains(c.says());
        }
    }

    @Test
    void aSecondExplorerOnTheSameH2FileFailsClearlyAndTheFirstGoesOn() throws Exception {
        int port = FreePorts.next();
        Path log = Path.of("target", "process-logs", "explorer-h2-first-" + System.currentTimeMillis() + ".log");
        Process first = RunnableJar.of("network-explorer").start(log, "--consul", consul.agent().httpUrl(),
                "--data-dir", dir.resolve("shared").toString(), "--port", Integer.toString(port));
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/healthz"))
                    .timeout(Duration.ofSeconds(3)).build();
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(first.isAlive()).as(Files.readString(log)).isTrue();
                assertThat(http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            });

            RunnableJar.Result second = RunnableJar.of("network-explorer").run("--consul", consul.agent().httpUrl(),
                    "--data-dir", dir.resolve("shared").toString(), "--port", "0");

            assertThat(second.exitCode()).as(second.output()).isEqualTo(2);
            assertThat(second.output().strip().lines()).as(second.output()).hasSize(1);
            assertThat(second.output()).contains("in use by another process", "--ha", "PostgreSQL");
            assertThat(first.isAlive()).isTrue();
            assertThat(http.send(health, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        } finally {
            first.destroyForcibly();
        }
    }
}
