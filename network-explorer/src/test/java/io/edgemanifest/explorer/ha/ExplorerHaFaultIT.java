package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import io.edgemanifest.testing.fault.FaultOutcome;
import io.edgemanifest.testing.fault.FaultReport;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/**
 * Two real network-explorer processes on one PostgreSQL store and one Consul with ACLs: exactly one
 * ingests, both serve the API; the holder killed (-9) or frozen (SIGSTOP) past its lock TTL hands
 * over to the other within TTL + 2 s, and the event history has every change exactly once. The
 * replica is written directly (what replicate would write), so each change is known and timed.
 * Scenarios run in order and share Consul, PostgreSQL and the processes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExplorerHaFaultIT {

    private static final String SUITE = "ExplorerHaFaultIT";
    private static final String DC = "sg-ha";
    private static final int TTL_SECONDS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls("explorer");

    @TempDir
    static Path dir;

    private static EmbeddedPostgres postgres;
    private static String jdbcUrl;
    private static Path tokenFile;
    private static Consul writer;
    private static final List<Explorer> explorers = new ArrayList<>();
    private static final Map<String, String> hosts = new LinkedHashMap<>();

    /** One network-explorer process and its API port. */
    record Explorer(Process process, int port, Path log) {
        long pid() {
            return process.pid();
        }
    }

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("CREATE DATABASE explorer_ha");
        }
        jdbcUrl = postgres.getJdbcUrl("postgres", "explorer_ha");
        var agent = consul.datacenter("explorer");
        for (AclPolicies.PolicySpec policy : AclPolicies.roles("explorer")) {
            agent.createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
        tokenFile = dir.resolve("explorer.token");
        Files.writeString(tokenFile, agent.createToken(AclPolicies.policyNames(AclPolicies.Role.EXPLORER)) + "\n");
        Files.setPosixFilePermissions(tokenFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        writer = Consul.builder().withUrl(agent.httpUrl()).withAclToken(agent.masterToken()).withPing(false).build();

        writer.keyValueClient().putValue("replicate/status/" + DC, "{\"state\":\"ok\"}");
        for (String name : List.of("h1", "h2", "h3")) {
            hostUp(name, Map.of("owner", name));
        }
        Explorer first = startExplorer("first");
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> assertThat(ingesting(first)).isTrue());
        startExplorer("second");
        await().atMost(Duration.ofSeconds(30)).until(() -> events("h1").equals(List.of("ONLINE")));
    }

    @AfterAll
    static void stop() throws Exception {
        for (Explorer e : explorers) {
            e.process().destroyForcibly();
            ProcessHandle.of(e.pid()).ifPresent(p -> signal("CONT", p.pid()));
        }
        if (writer != null) {
            writer.destroy();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static Explorer startExplorer(String name) {
        return startExplorer(name, true);
    }

    private static Explorer startExplorer(String name, boolean ha) {
        int port = FreePorts.next();
        Path log = Path.of("target", "process-logs", "explorer-ha-" + name + "-" + System.currentTimeMillis() + ".log");
        Process process = RunnableJar.of("network-explorer").start(log,
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-Xmx256m"),
                "--consul", consul.datacenter("explorer").httpUrl(), "--token-file", tokenFile.toString(),
                "--db", jdbcUrl, "--db-user", "postgres", "--db-password", "postgres",
                "--port", Integer.toString(port), "--ha=" + ha, "--lock-ttl", TTL_SECONDS + "s");
        Explorer explorer = new Explorer(process, port, log);
        explorers.add(explorer);
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            assertThat(process.isAlive()).as("%s alive; its output: %s", name, Files.readString(log)).isTrue();
            assertThat(get(explorer, "/healthz")).contains("ok");
        });
        return explorer;
    }

    // ------------------------------------------------------------------ the replica, as replicate writes it

    private static void hostUp(String name, Map<String, String> labels) {
        String id = hosts.computeIfAbsent(name, n -> "host-" + UUID.randomUUID());
        writer.keyValueClient().putValue("replica/" + DC + "/kv/" + NodeKind.HOST.keyOf(id),
                NodeRecords.toJson(NodeRecord.of(id, NodeKind.HOST, "1.0").withLabels(labels)));
        service(name, "passing");
    }

    private static void service(String name, String status) {
        String id = hosts.get(name);
        writer.keyValueClient().putValue("replica/" + DC + "/services/" + id, "{\"service\":\"" + id
                + "\",\"id\":\"" + id + "\",\"datacenter\":\"" + DC + "\",\"tags\":[\"host\"],\"status\":\"" + status + "\"}");
    }

    // ------------------------------------------------------------------ observations

    private static String get(Explorer explorer, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + explorer.port() + path))
                .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static double metric(Explorer explorer, String name) throws Exception {
        return get(explorer, "/metrics").lines().filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).strip())).orElse(Double.NaN);
    }

    private static boolean ingesting(Explorer explorer) throws Exception {
        return metric(explorer, "explorer_ingest_leader") == 1.0;
    }

    /** The pid written in the lock key by the Explorer holding it (0: free). */
    private static long lockHolderPid() throws Exception {
        var value = writer.keyValueClient().getValue(HaConfig.DEFAULT_LOCK_KEY);
        if (value.isEmpty() || value.get().getSession().isEmpty()) {
            return 0;
        }
        JsonNode json = JSON.readTree(value.get().getValueAsString().orElse("{}"));
        return json.path("pid").asLong();
    }

    /** A device's events, oldest first, straight from the shared store. */
    private static List<String> events(String name) throws Exception {
        List<String> types = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             var ps = c.prepareStatement("SELECT event_type FROM events WHERE device_id = ? ORDER BY seq")) {
            ps.setString(1, hosts.get(name));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    types.add(rs.getString(1));
                }
            }
        }
        return types;
    }

    private static Map<String, List<String>> allEvents() throws Exception {
        Map<String, List<String>> all = new LinkedHashMap<>();
        for (String name : hosts.keySet()) {
            all.put(name, events(name));
        }
        return all;
    }

    private static long storedEpoch() throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             ResultSet rs = c.createStatement().executeQuery("SELECT epoch FROM ingest_lease WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Explorer holder() throws Exception {
        long pid = lockHolderPid();
        return explorers.stream().filter(e -> e.pid() == pid).findFirst().orElseThrow();
    }

    private static Explorer standby() throws Exception {
        long pid = lockHolderPid();
        return explorers.stream().filter(e -> e.pid() != pid && e.process().isAlive()).findFirst().orElseThrow();
    }

    private static Explorer ingestingOneOf(List<Explorer> candidates) throws Exception {
        for (Explorer e : candidates) {
            if (ingesting(e)) {
                return e;
            }
        }
        return null;
    }

    private static void signal(String name, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
            assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } catch (Exception e) {
            throw new IllegalStateException("kill -" + name + " " + pid + " failed", e);
        }
    }

    /** Events that differ from what the replica's changes call for: duplicates, losses, false OFFLINEs. */
    private static int falseEvents(Map<String, List<String>> expected) throws Exception {
        int wrong = 0;
        for (var entry : allEvents().entrySet()) {
            List<String> want = expected.getOrDefault(entry.getKey(), List.of());
            if (!entry.getValue().equals(want)) {
                wrong += Math.max(1, Math.abs(entry.getValue().size() - want.size()));
            }
        }
        return wrong;
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    @Order(1)
    void exactlyOneIngestsAndBothServeTheApi() throws Exception {
        Explorer holder = holder();
        Explorer standby = standby();
        assertThat(ingesting(holder)).isTrue();
        assertThat(ingesting(standby)).isFalse();

        hostUp("h4", Map.of("owner", "h4"));
        await().atMost(Duration.ofSeconds(20)).until(() -> events("h4").equals(List.of("ONLINE")));
        for (Explorer e : List.of(holder, standby)) {
            String nodes = get(e, "/api/nodes?kind=host&status=online");
            assertThat(nodes).contains("\"total\":4", hosts.get("h4"));
            assertThat(get(e, "/api/datacenters")).contains(DC);
        }
        assertThat(ingesting(standby)).as("the standby never ingests while the holder lives").isFalse();
    }

    @Test
    @Order(2)
    void theHolderKilledHandsOverWithinTtlPlusTwoSecondsWithNoDuplicateOrLostEvent() throws Exception {
        Explorer holder = holder();
        Explorer standby = standby();
        long epochBefore = storedEpoch();

        // A change the holder may or may not have written when it dies: exactly one of them must.
        hostUp("h3", Map.of("owner", "h3", "rack", "r2"));
        holder.process().destroyForcibly();
        long killed = System.nanoTime();
        assertThat(holder.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        // While nobody ingests: a host goes, one arrives. The next holder must see both.
        service("h1", "critical");
        hostUp("h5", Map.of("owner", "h5"));

        long[] tookOver = new long[1];
        await().atMost(Duration.ofSeconds(TTL_SECONDS + 10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
            if (ingesting(standby)) {
                tookOver[0] = System.nanoTime();
                return true;
            }
            return false;
        });
        double handover = (tookOver[0] - killed) / 1e9;
        Map<String, List<String>> expected = Map.of("h1", List.of("ONLINE", "OFFLINE"), "h2", List.of("ONLINE"),
                "h3", List.of("ONLINE", "UPDATED"), "h4", List.of("ONLINE"), "h5", List.of("ONLINE"));
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> allEvents().equals(expected));
        double caughtUp = (System.nanoTime() - killed) / 1e9;
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> allEvents().equals(expected));

        assertThat(handover).as("hand-over after kill -9, TTL %d s", TTL_SECONDS).isLessThanOrEqualTo(TTL_SECONDS + 2.0);
        assertThat(lockHolderPid()).isEqualTo(standby.pid());
        assertThat(storedEpoch()).isGreaterThan(epochBefore);
        FaultReport.record(new FaultOutcome(SUITE, "Explorer holding the ingest lock killed (-9), two Explorers on one PostgreSQL",
                "exactly one ingests; the standby ingests within lock TTL + 2 s; every change once (none lost, none twice)",
                handover, falseEvents(expected), String.format(java.util.Locale.ROOT,
                        "lock TTL %d s; standby ingesting after %.1f s, every change in the store after %.1f s", TTL_SECONDS,
                        handover, caughtUp)));

        // Two Explorers again for the next scenario: the newcomer stands by.
        Explorer newcomer = startExplorer("third");
        await().atMost(Duration.ofSeconds(30)).until(() -> metric(newcomer, "explorer_ingest_leader") == 0.0);
        assertThat(ingesting(standby)).isTrue();
    }

    @Test
    @Order(3)
    void aFrozenHolderIsFencedWhenItThawsAndWritesNothing() throws Exception {
        Explorer holder = holder();
        Explorer standby = standby();
        Map<String, List<String>> expected = new LinkedHashMap<>(allEvents());

        signal("STOP", holder.pid());
        long frozen = System.nanoTime();
        try {
            // The frozen holder's watches were asked before the freeze; these answers wait in its sockets.
            service("h4", "critical");
            hostUp("h6", Map.of("owner", "h6"));
            long[] tookOver = new long[1];
            await().atMost(Duration.ofSeconds(TTL_SECONDS + 10)).pollInterval(Duration.ofMillis(100)).ignoreExceptions().until(() -> {
                if (ingesting(standby)) {
                    tookOver[0] = System.nanoTime();
                    return true;
                }
                return false;
            });
            double handover = (tookOver[0] - frozen) / 1e9;
            expected.put("h4", List.of("ONLINE", "OFFLINE"));
            expected.put("h6", List.of("ONLINE"));
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> allEvents().equals(expected));
            // One more change the thawed former holder would see in its stale view and write again, unfenced.
            service("h5", "critical");
            expected.put("h5", List.of("ONLINE", "OFFLINE"));
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> allEvents().equals(expected));
            long epochOfNewHolder = storedEpoch();

            signal("CONT", holder.pid());
            long thawed = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(() -> metric(holder, "explorer_ingest_fenced_total") >= 1.0
                    && metric(holder, "explorer_ingest_leader") == 0.0);
            double fencedAfter = (System.nanoTime() - thawed) / 1e9;
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(8)).until(() -> allEvents().equals(expected));

            assertThat(handover).as("hand-over after SIGSTOP, TTL %d s", TTL_SECONDS).isLessThanOrEqualTo(TTL_SECONDS + 2.0);
            assertThat(storedEpoch()).as("the thawed Explorer claims nothing while the lock is held").isEqualTo(epochOfNewHolder);
            assertThat(lockHolderPid()).isEqualTo(standby.pid());
            assertThat(ingesting(standby)).isTrue();
            assertThat(Files.readString(holder.log())).contains("stopped ingesting");
            FaultReport.record(new FaultOutcome(SUITE, "Explorer holding the ingest lock frozen (SIGSTOP) past its lock TTL, then thawed",
                    "the standby ingests within lock TTL + 2 s; the thawed former holder is fenced by the store's epoch and writes nothing",
                    handover, falseEvents(expected), String.format(java.util.Locale.ROOT,
                            "lock TTL %d s; standby ingesting after %.1f s; thawed holder fenced and standing by %.1f s after SIGCONT",
                            TTL_SECONDS, handover, fencedAfter)));
        } finally {
            signal("CONT", holder.pid());
        }
    }

    @Test
    @Order(4)
    void anExplorerStartedWithoutHaOnTheSameStoreNeverWritesBesideTheHolder() throws Exception {
        List<Explorer> pair = List.of(holder(), standby());
        Map<String, List<String>> expected = new LinkedHashMap<>(allEvents());

        // An operator starts a plain Explorer on the pair's store: it claims ingest at start...
        Explorer intruder = startExplorer("without-ha", false);
        long started = System.nanoTime(); // its API answers; its claim follows at once
        service("h2", "critical");
        expected.put("h2", List.of("ONLINE", "OFFLINE"));
        // ... the holder, fenced, lets the lock go; the pair takes it back and fences the intruder out for good.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                metric(intruder, "explorer_ingest_fenced_total") >= 1.0 && metric(intruder, "explorer_ingest_leader") == 0.0
                        && ingestingOneOf(pair) != null);
        double recovered = (System.nanoTime() - started) / 1e9;
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> allEvents().equals(expected));
        await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> allEvents().equals(expected)
                && metric(intruder, "explorer_ingest_leader") == 0.0 && ingestingOneOf(pair) != null);

        Explorer holder = ingestingOneOf(pair);
        assertThat(lockHolderPid()).isEqualTo(holder.pid());
        assertThat(pair.stream().filter(e -> e != holder).findFirst().map(e -> {
            try {
                return ingesting(e);
            } catch (Exception x) {
                throw new IllegalStateException(x);
            }
        })).contains(false);
        assertThat(Files.readString(intruder.log())).contains("Run several Explorers on one store only with --ha");
        FaultReport.record(new FaultOutcome(SUITE, "Explorer without --ha started by mistake on the HA pair's PostgreSQL store",
                "never two writers: the intruder's claim fences the holder, the pair takes ingest back and fences the "
                        + "intruder for good; every change once", recovered, falseEvents(expected), String.format(java.util.Locale.ROOT,
                        "pair ingesting again and the intruder standing by %.1f s after its API answered (it claims right after)",
                        recovered)));
        intruder.process().destroyForcibly();
    }
}
