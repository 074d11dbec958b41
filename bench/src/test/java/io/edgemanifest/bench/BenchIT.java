package io.edgemanifest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgemanifest.core.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each scenario, shrunk, end to end against real Consul and the real jars: the benchmarks must
 * keep running on a fresh clone, and their rows must hold measurements, not placeholders.
 */
class BenchIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path results;

    private JsonNode onlyRow(String file) throws Exception {
        List<String> lines = Files.readAllLines(results.resolve(file));
        assertThat(lines).hasSize(1);
        return Http.JSON.readTree(lines.get(0));
    }

    @Test
    void scaleMeasuresHeartbeatsOfEveryHostWithoutFalseExpiries() throws Exception {
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "scale", "--hosts", "30", "--window", "4s", "--ttl", "3s", "--ceiling", "1s");
        assertThat(code).isZero();
        JsonNode row = onlyRow("scale.jsonl");
        assertThat(row.path("hosts").asInt()).isEqualTo(30);
        assertThat(row.path("acl").asBoolean()).isTrue(); // benchmarks run as production does: ACLs on
        assertThat(row.path("registrationS").asDouble()).isPositive();
        assertThat(row.path("heartbeatsPerS").asDouble()).isPositive();
        assertThat(row.path("p99Ms").asDouble()).isPositive();
        assertThat(row.path("falseExpiries").asLong()).isZero();
        assertThat(row.path("ourPathPerS").asDouble()).isPositive();
        assertThat(results.resolve("scale-latency.png")).isNotEmptyFile();
    }

    @Test
    void scaleComparesHeartbeatsAndConsulCpuWithAndWithoutAcls() throws Exception {
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "scale", "--hosts", "10", "--window", "3s", "--ttl", "3s", "--ceiling", "1s", "--acl", "compare");
        assertThat(code).isZero();
        JsonNode row = onlyRow("scale-acl.jsonl");
        assertThat(row.path("hosts").asInt()).isEqualTo(10);
        assertThat(row.path("p99Ratio").asDouble()).isPositive();
        assertThat(row.path("consulCpuRatio").asDouble()).isPositive();
        assertThat(row.path("falseExpiriesOn").asLong()).isZero();
    }

    @Test
    void scaleSpreadsHostsOverClientAgentsTheyDiscoverThemselves() throws Exception {
        // Under ACLs (the default), the hosts given only the server find the two advertised agents
        // with their own tokens and spread over them.
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "scale", "--hosts", "20", "--window", "3s", "--ttl", "3s", "--ceiling", "1s", "--consul-agents", "2", "--discover");
        assertThat(code).isZero();
        JsonNode row = onlyRow("scale-agents.jsonl");
        assertThat(row.path("consulAgents").asText()).isEqualTo("2 clients");
        assertThat(row.path("spread").asText()).isEqualTo("discovered");
        assertThat(row.path("hostsPerAgentMin").asInt()).isPositive();
        assertThat(row.path("hostsPerAgentMin").asInt() + row.path("hostsPerAgentMax").asInt()).isEqualTo(20);
        assertThat(row.path("keysMinInWindow").asInt()).isEqualTo(20);
        assertThat(row.path("falseExpiries").asLong()).isZero();
        assertThat(row.path("heartbeatsPerS").asDouble()).isPositive();
    }

    @Test
    void detectionTimesEveryKilledHostAtEachStage() throws Exception {
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "detection", "--kill", "5", "--bystanders", "3", "--ttl", "3s");
        assertThat(code).isZero();
        JsonNode row = onlyRow("detection.jsonl");
        for (String stage : List.of("source", "replica", "explorer")) {
            assertThat(row.path(stage + "Missed").asInt()).as(stage).isZero();
            assertThat(row.path(stage + "P50S").asDouble()).as(stage).isGreaterThan(1.0); // TTL 3 s minus a tick at least
        }
        assertThat(row.path("explorerP99S").asDouble()).isGreaterThanOrEqualTo(row.path("sourceP50S").asDouble());
    }

    @Test
    void readpathSeesEveryChangeAtTheDestinationAndInTheExplorerAndCountsTheBytesRead() throws Exception {
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "readpath", "--hosts", "1000", "--rate", "10", "--window", "8s", "--drain", "20s");
        assertThat(code).isZero();
        JsonNode row = onlyRow("readpath.jsonl");
        assertThat(row.path("hosts").asInt()).isEqualTo(1000);
        assertThat(row.path("acl").asBoolean()).isTrue();
        assertThat(row.path("changes").asInt()).isGreaterThanOrEqualTo(40);
        assertThat(row.path("deaths").asInt()).isPositive();
        // Every change reached the replica and the Explorer: lags measured, none missed.
        assertThat(row.path("lagMissed").asLong()).isZero();
        assertThat(row.path("explorerMissed").asLong()).isZero();
        assertThat(row.path("lagP99S").asDouble()).isPositive();
        assertThat(row.path("offlineP99S").asDouble()).isGreaterThanOrEqualTo(row.path("offlineP50S").asDouble()).isPositive();
        // Bytes were counted between each process and its Consul, and the processes measured.
        assertThat(row.path("replicateReadKiBPerChange").asDouble()).isPositive();
        assertThat(row.path("explorerReadKiBPerChange").asDouble()).isPositive();
        assertThat(row.path("replicateCpuPct").asDouble()).isPositive();
        assertThat(row.path("replicateHeapMiBMax").asDouble()).isPositive();
        assertThat(row.path("generationS").asDouble()).isPositive();
        assertThat(results.resolve("readpath-bytes.png")).isNotEmptyFile();
    }

    @Test
    void footprintComparesTheHostAgentWithAConsulClientAgent() throws Exception {
        int code = Cli.run(new BenchMain(), "--root", ROOT.toString(), "--results", results.toString(),
                "footprint", "--idle", "1s");
        assertThat(code).isZero();
        List<JsonNode> rows = Files.readAllLines(results.resolve("footprint.jsonl")).stream()
                .map(l -> {
                    try {
                        return Http.JSON.readTree(l);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
        assertThat(rows).extracting(r -> r.path("process").asText()).contains("host-agent", "consul client agent");
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.path("rssMiB").asDouble()).isPositive();
            assertThat(r.path("startToPresentS").asDouble()).isPositive();
        });
    }

    @Test
    void badScenarioOptionsAreExitCode2() {
        assertThat(Cli.run(new BenchMain(), "--root", ROOT.toString(), "scale", "--hosts", "0")).isEqualTo(2);
        assertThat(Cli.run(new BenchMain(), "--root", ROOT.toString(), "detection", "--ttl", "-1s")).isEqualTo(2);
        assertThat(Cli.run(new BenchMain(), "--root", ROOT.toString(), "readpath", "--rate", "0")).isEqualTo(2);
        assertThat(Cli.run(new BenchMain(), "--root", ROOT.toString(), "readpath", "--acl", "maybe")).isEqualTo(2);
    }
}
