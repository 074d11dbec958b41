package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.RunnableJar;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;

/** Two replicate instances — one a real process — share three sources, and one takes over when the other dies. */
class ReplicateHaIT {

    private static final List<String> SOURCES = List.of("sg-x", "sg-y", "sg-z");

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("explorer", "sg-x", "sg-y", "sg-z");

    private Consul dest;
    private Replicator inJvm;
    private Process process;

    @BeforeEach
    void connect() {
        dest = Consul.builder().withUrl(consul.datacenter("explorer").httpUrl()).withPing(false).build();
    }

    @AfterEach
    void stop() {
        if (inJvm != null) {
            inJvm.close();
        }
        if (process != null) {
            process.destroyForcibly();
        }
        dest.destroy();
    }

    private String sourceFlag(String dc) {
        return dc + "=" + consul.datacenter(dc).httpUrl();
    }

    private Map<String, String> lockHolders() {
        Map<String, String> holders = new HashMap<>();
        for (String dc : SOURCES) {
            Optional<Value> lock = dest.keyValueClient().getValue(Replicator.lockKey(dc));
            lock.filter(v -> v.getSession().isPresent()).flatMap(Value::getValueAsString).ifPresent(id -> holders.put(dc, id));
        }
        return holders;
    }

    @Test
    void eachSourceIsReplicatedByExactlyOneInstanceAndTheSurvivorTakesOverFromADeadOne() throws Exception {
        int metricsPort = io.edgemanifest.testing.FreePorts.next();
        Path log = Path.of("target", "process-logs", "replicate-" + Instant.now().toEpochMilli() + ".log");
        process = RunnableJar.of("replicate").start(log,
                "--consul", consul.datacenter("explorer").httpUrl(), "--ttl", "3s", "--wait", "5s",
                "--metrics", "127.0.0.1:" + metricsPort,
                "--source", sourceFlag("sg-x"), "--source", sourceFlag("sg-y"), "--source", sourceFlag("sg-z"));
        // The process registers first, so both start orders are not left to chance; alone, it takes
        // every source and exports each one's gauges (so the hand-over below must remove some).
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(process.isAlive()).as("replicate process alive; its output: %s", java.nio.file.Files.readString(log)).isTrue();
            assertThat(dest.healthClient().getHealthyServiceInstances("replicate").getResponse()).hasSize(1);
            String scrape = scrape(metricsPort);
            for (String dc : SOURCES) {
                assertThat(scrape).contains("replicate_source_up{source=\"" + dc + "\"} 1.0",
                        "replicate_last_success_age_seconds{source=\"" + dc + "\"}");
            }
        });
        List<SourceSpec> specs = SOURCES.stream().map(dc -> SourceSpec.parse(sourceFlag(dc), null)).toList();
        // Sources go by rendezvous ranking of the instance IDs: with random IDs one instance ranks
        // first for all three a quarter of the time. Pick an ID for ours that splits them.
        String processId = dest.healthClient().getHealthyServiceInstances("replicate").getResponse().get(0)
                .getService().getId();
        String ourId = java.util.stream.IntStream.range(0, 1000).mapToObj(i -> "replicate-test-" + i)
                .filter(candidate -> {
                    List<String> both = java.util.stream.Stream.of(processId, candidate).sorted().toList();
                    long ours = SOURCES.stream().filter(dc -> io.edgemanifest.core.choice.Rendezvous.choose(dc, both)
                            .orElseThrow().equals(candidate)).count();
                    return ours > 0 && ours < SOURCES.size();
                }).findFirst().orElseThrow();
        inJvm = new Replicator(new Replicator.ReplicateConfig(
                ConsulEndpoint.parse(consul.datacenter("explorer").httpUrl(), null), specs,
                new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(5), 0.5, 100,
                        Duration.ofSeconds(1), Duration.ofSeconds(1)),
                Duration.ofSeconds(3), Duration.ofMillis(500)), new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                ourId).start();

        // Both instances hold some sources, and every source has exactly one holder.
        await().atMost(Duration.ofSeconds(40)).untilAsserted(() -> {
            Map<String, String> holders = lockHolders();
            assertThat(holders).containsOnlyKeys(SOURCES);
            assertThat(holders.values()).contains(inJvm.id());
            assertThat(holders.values()).anyMatch(id -> !id.equals(inJvm.id()));
            assertThat(inJvm.held()).containsExactlyInAnyOrderElementsOf(holders.entrySet().stream()
                    .filter(e -> e.getValue().equals(inJvm.id())).map(Map.Entry::getKey).toList());
        });
        String processHeld = lockHolders().entrySet().stream().filter(e -> !e.getValue().equals(inJvm.id()))
                .map(Map.Entry::getKey).findFirst().orElseThrow();

        // The process keeps the gauges of what it still holds; those of the sources it handed over go
        // (a frozen age there would fire ReplicateSourceSilent for a source our instance replicates).
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String scrape = scrape(metricsPort);
            assertThat(scrape).doesNotContain("replicate_sources_held NaN");
            assertThat(scrape).contains("replicate_sources_held", "replicate_transactions_total",
                    "replicate_source_up{source=\"" + processHeld + "\"} 1.0",
                    "replicate_errors_total{source=\"" + processHeld + "\"} 0.0",
                    "replicate_last_success_age_seconds{source=\"" + processHeld + "\"}");
            for (String dc : inJvm.held()) {
                assertThat(scrape).doesNotContain("replicate_source_up{source=\"" + dc + "\"}",
                        "replicate_last_success_age_seconds{source=\"" + dc + "\"}");
            }
        });

        process.destroyForcibly(); // kill -9: no goodbye, its locks go with its TTL check
        process.waitFor(10, TimeUnit.SECONDS);

        await().atMost(Duration.ofSeconds(3 + 20)).until(() -> inJvm.held().size() == 3);
        Consul source = Consul.builder().withUrl(consul.datacenter(processHeld).httpUrl()).withPing(false).build();
        try {
            source.keyValueClient().putValue("manifest/config/after-takeover", "ok");
            await().atMost(Duration.ofSeconds(10)).until(() -> dest.keyValueClient()
                    .getValue("replica/" + processHeld + "/kv/manifest/config/after-takeover").isPresent());
        } finally {
            source.destroy();
        }
    }

    private static String scrape(int port) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void badFlagsAreOneLineWithExitCodeTwo() {
        for (String[] args : List.of(new String[] {"--source", "=http://x"}, new String[] {"--source", "sg-a=notaurl"},
                new String[] {"--source", "sg-a", "--prefix", "/abs"}, new String[] {"--source", "sg-a", "--ttl", "1s"},
                new String[] {"--source", "sg-a", "--wait", "5m"})) {
            RunnableJar.Result result = RunnableJar.of("replicate").run(args);
            assertThat(result.exitCode()).as(String.join(" ", args) + " -> " + result.output()).isEqualTo(2);
            assertThat(result.output().strip().lines()).as(result.output()).hasSize(1);
        }
    }
}
