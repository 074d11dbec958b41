package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/** The stargate as operators run it, as a real process next to a real Consul datacenter. */
class StargateProcessIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-star");

    private final RunnableJar jar = RunnableJar.of("stargate");

    @TempDir
    Path dir;

    @AfterAll
    static void reap() {
        RunnableJar.reap();
    }

    @Test
    void stargateIsPresentAnswersStatusAndLeavesOnSigtermWithExitZero() throws Exception {
        int port = FreePorts.next();
        int metricsPort = FreePorts.next();
        Path stateDir = dir.resolve("sg");
        Process stargate = jar.start(Path.of("target", "process-logs", "stargate.log"), "--consul",
                consul.agent().httpUrl(), "--state-dir", stateDir.toString(), "--datacenter", "sg-star",
                "--grpc-port", Integer.toString(port), "--metrics", "127.0.0.1:" + metricsPort);
        Consul client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stateDir.resolve("node-id")));
            String id = Files.readString(stateDir.resolve("node-id")).strip();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    client.keyValueClient().getValue(NodeKind.STARGATE.keyOf(id)).isPresent());
            assertThat(client.healthClient().getHealthyServiceInstances("stargate").getResponse()).hasSize(1);

            RunnableJar.Result status = jar.run("status", "--address", "127.0.0.1:" + port);
            assertThat(status.exitCode()).isZero();
            assertThat(status.output()).contains("datacenter: sg-star", "stargate: " + id, "sessions: 1");
            // The same numbers for Prometheus, with its presence and JVM basics.
            String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("stargate_consul_up{datacenter=\"sg-star\"} 1",
                    "stargate_sessions{datacenter=\"sg-star\"} 1", "stargate_passing_gateways{datacenter=\"sg-star\"} 0",
                    "edge_presence_establishments_total{datacenter=\"sg-star\",kind=\"stargate\"} ",
                    "edge_presence_sessions_lost_total{datacenter=\"sg-star\",kind=\"stargate\"} 0.0",
                    "jvm_memory_used_bytes", "process_uptime_seconds");

            stargate.destroy(); // SIGTERM
            assertThat(stargate.waitFor(5, TimeUnit.SECONDS)).isTrue();
            assertThat(stargate.exitValue()).isZero();
            assertThat(client.keyValueClient().getValue(NodeKind.STARGATE.keyOf(id))).isEmpty();
            assertThat(client.agentClient().getServices()).doesNotContainKey(id);
        } finally {
            client.destroy();
        }
    }

    @Test
    void aSigtermWhileWaitingForConsulAtStartExitsZero() throws Exception {
        Path log = Path.of("target", "process-logs", "stargate-waiting.log");
        Process stargate = jar.start(log, "--consul", "http://127.0.0.1:" + FreePorts.next(),
                "--state-dir", dir.resolve("waiting").toString(), "--datacenter", "sg-star");
        // Its start waits (with back-off, for ever) for a Consul nobody runs.
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(log)
                && Files.readString(log).contains("waiting for it"));

        stargate.destroy(); // SIGTERM during start: our handler, not the JVM's exit 143
        assertThat(stargate.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stargate.exitValue()).isZero();
        assertThat(Files.readString(log)).contains("stopped during start");
    }

    @Test
    void refusesToStartAgainstAnotherDatacenter() {
        RunnableJar.Result result = jar.run("--consul", consul.agent().httpUrl(), "--state-dir",
                dir.resolve("wrong").toString(), "--datacenter", "sg-elsewhere");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("'sg-star'", "'sg-elsewhere'");
        assertThat(result.output().strip().lines()).hasSize(1);
    }

    @Test
    void aMalformedMetricsAddressIsOneLineNamingItWithExitTwo() {
        RunnableJar.Result result = jar.run("--consul", consul.agent().httpUrl(), "--state-dir",
                dir.resolve("metrics").toString(), "--datacenter", "sg-star", "--metrics", "nowhere");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        assertThat(result.output()).contains("invalid --metrics 'nowhere'");
    }

    @Test
    void missingDatacenterIsABadFlag() {
        RunnableJar.Result result = jar.run("--state-dir", dir.resolve("none").toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.output()).contains("--datacenter");
    }
}
