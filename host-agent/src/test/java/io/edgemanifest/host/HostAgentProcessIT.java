package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.RunnableJar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.kiwiproject.consul.Consul;

/** The host-agent as operators run it: a real process, killed, stopped, and given bad flags. */
class HostAgentProcessIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-proc");

    private static Consul client;
    private final RunnableJar jar = RunnableJar.of("host-agent");

    @TempDir
    Path dir;

    @BeforeAll
    static void connect() {
        client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
    }

    @AfterAll
    static void disconnect() {
        client.destroy();
        RunnableJar.reap();
    }

    private Process startHost(Path stateDir) {
        return jar.start(Path.of("target", "process-logs", "host-agent-" + Instant.now().toEpochMilli() + ".log"),
                "--consul", consul.agent().httpUrl(), "--state-dir", stateDir.toString(), "--ttl", "3s");
    }

    private String awaitPresent(Path stateDir) throws java.io.IOException {
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stateDir.resolve("node-id")));
        String id = Files.readString(stateDir.resolve("node-id")).strip();
        await().atMost(Duration.ofSeconds(30)).until(() -> keyPresent(id));
        return id;
    }

    private static boolean keyPresent(String id) {
        return client.keyValueClient().getValue(NodeKind.HOST.keyOf(id)).isPresent();
    }

    @Test
    void hostKilledWithSigkillLosesItsKeyWithinTtlPlusTwoSecondsAndItsServiceAfterTheReaper() throws Exception {
        Path stateDir = dir.resolve("killed");
        Process host = startHost(stateDir);
        String id = awaitPresent(stateDir);

        host.destroyForcibly(); // SIGKILL: no goodbye
        host.waitFor(10, TimeUnit.SECONDS);
        Instant killed = Instant.now();

        await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(100)).until(() -> !keyPresent(id));
        assertThat(Duration.between(killed, Instant.now())).isLessThanOrEqualTo(TTL.plusSeconds(2));

        // DeregisterCriticalServiceAfter (1m, Consul's minimum) plus its reaper's 30 s period.
        await().atMost(Duration.ofSeconds(60 + 30 + 15)).pollInterval(Duration.ofSeconds(1))
                .until(() -> !client.agentClient().getServices().containsKey(id));
    }

    @Test
    void sigtermLeavesAtOnceAndExitsZeroWithinFiveSeconds() throws Exception {
        Path stateDir = dir.resolve("stopped");
        Process host = startHost(stateDir);
        String id = awaitPresent(stateDir);

        host.destroy(); // SIGTERM

        assertThat(host.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(host.exitValue()).isZero();
        assertThat(keyPresent(id)).isFalse();
        assertThat(client.agentClient().getServices()).doesNotContainKey(id);
    }

    @Test
    void restartWithTheSameStateDirKeepsTheIdAndTheKeyOutlivesTheOldSession() throws Exception {
        Path stateDir = dir.resolve("restarted");
        Process first = startHost(stateDir);
        String id = awaitPresent(stateDir);
        String oldSession = client.keyValueClient().getValue(NodeKind.HOST.keyOf(id)).flatMap(v -> v.getSession()).orElseThrow();
        first.destroyForcibly();
        first.waitFor(10, TimeUnit.SECONDS);

        startHost(stateDir);
        await().atMost(Duration.ofSeconds(30)).until(() -> client.keyValueClient().getValue(NodeKind.HOST.keyOf(id))
                .flatMap(v -> v.getSession()).filter(s -> !s.equals(oldSession)).isPresent());
        assertThat(client.sessionClient().getSessionInfo(oldSession)).isEmpty();

        Instant until = Instant.now().plus(TTL.multipliedBy(2));
        await().atMost(TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
            assertThat(keyPresent(id)).isTrue();
            return Instant.now().isAfter(until);
        });
        assertThat(Files.readString(stateDir.resolve("node-id")).strip()).isEqualTo(id);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--ttl|0s|0ms",
            "--ttl|soon|soon",
            "--consul|not a url|not a url",
            "--consul|localhost:8500|localhost:8500",
            "--label|nokey|nokey",
            "--location|nowhere|nowhere",
            "--state-dir|/proc/version/x|/proc/version/x",
            "--migrate-after|1s|1s",
            "--simulate|-1|-1",
            "--churn|1s|--churn",
    })
    void badInputIsOneLineNamingTheValueWithExitCodeTwo(String flag, String value, String named) {
        java.util.List<String> args = new java.util.ArrayList<>();
        if (!flag.equals("--consul")) {
            args.addAll(java.util.List.of("--consul", consul.agent().httpUrl()));
        }
        if (!flag.equals("--state-dir")) {
            args.addAll(java.util.List.of("--state-dir", dir.resolve("bad").toString()));
        }
        args.addAll(java.util.List.of(flag, value));
        RunnableJar.Result result = jar.run(args.toArray(String[]::new));

        assertThat(result.exitCode()).as(result.output()).isEqualTo(2);
        assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        assertThat(result.output()).contains(named);
    }
}
