package io.edgemanifest.explorer.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.fault.FaultOutcome;
import io.edgemanifest.testing.fault.FaultReport;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile or broken input in the replica, fed to a running Explorer process (its jar, the explorer
 * role's token, Consul with ACLs, PostgreSQL — stricter than H2: it refuses NUL in text). A record
 * belongs to its node's owner, for a host a member of the public: each bad input is stored with a
 * parse error or skipped with one clear log line; the Explorer does not crash and every other
 * device is unaffected.
 */
class BadInputFaultIT {

    private static final String SUITE = "BadInputFaultIT";
    private static final String DC = "sg-bad";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls("explorer");

    @TempDir
    static Path dir;

    private static EmbeddedPostgres postgres;
    private static ExplorerProcesses explorers;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE badinput");
        }
        explorers = new ExplorerProcesses(consul.datacenter("explorer"), dir);
    }

    @AfterAll
    static void stop() throws Exception {
        explorers.close();
        postgres.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String id(int i) {
        return ExplorerProcesses.hostId(i);
    }

    private static String recordKey(String id) {
        return "replica/" + DC + "/kv/manifest/hosts/" + id;
    }

    private static String serviceKey(String id) {
        return "replica/" + DC + "/services/" + id;
    }

    @Test
    void badInputIsStoredWithAParseErrorOrSkippedWithALogLineAndTouchesNoOtherDevice() {
        explorers.clearReplica();
        explorers.statusOk(DC);
        explorers.hosts(DC, 0, 5); // the control group
        ExplorerProcesses.Explorer explorer = explorers.start("explorer-bad-input",
                postgres.getJdbcUrl("postgres", "badinput"), "postgres", "postgres");
        await().atMost(Duration.ofSeconds(60)).until(() -> explorer.count("online") == 5);

        String longId = "host-" + "a".repeat(250);
        Map<String, byte[]> bad = new LinkedHashMap<>();
        // oversized value: 200 KB (Consul takes up to 512 KB; a node may write 64 KiB)
        bad.put(recordKey(id(10)), utf8("{\"labels\":{\"pad\":\"" + "x".repeat(200_000) + "\"}}"));
        // long fields: a city of 250 characters, a label of 300, 40 labels
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            labels.append("\"k").append(i).append("\":\"v\",");
        }
        bad.put(recordKey(id(11)), utf8("{\"location\":{\"city\":\"" + "c".repeat(250) + "\",\"country\":\"BW\"},\"labels\":{"
                + labels + "\"long\":\"" + "v".repeat(300) + "\"}}"));
        // invalid UTF-8
        bad.put(recordKey(id(12)), new byte[] {'{', '"', 'x', '"', ':', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}'});
        // malformed JSON
        bad.put(recordKey(id(13)), utf8("{this is not json"));
        // NUL inside a label (valid JSON: PostgreSQL refuses NUL in text)
        bad.put(recordKey(id(14)), utf8("{\"labels\":{\"a\":\"x\\u0000y\"}}"));
        // a key longer than the store's id column
        bad.put(recordKey(longId), utf8("{}"));
        bad.put(serviceKey(longId), ExplorerProcesses.service(longId, DC, "passing"));
        // keys outside the schema
        bad.put("replica/" + DC + "/kv/manifest/printers/p1", utf8("{}"));
        bad.put("replica/" + DC + "/kv/manifest/hosts/" + id(15) + "/extra", utf8("{}"));
        for (int i = 10; i <= 14; i++) {
            bad.put(serviceKey(id(i)), ExplorerProcesses.service(id(i), DC, "passing"));
        }
        explorers.txn(bad);
        // a datacenter name with quotes, with a device in it
        explorers.putRaw("replicate/status/sg\"x'", utf8("{\"state\":\"ok\"}"));
        explorers.putRaw("replica/sg\"x'/kv/manifest/hosts/" + id(16), utf8("{}"));
        explorers.putRaw("replica/sg\"x'/services/" + id(16), ExplorerProcesses.service(id(16), "sg\"x'", "passing"));

        // Ingest goes on: a device that arrives after the bad input is seen.
        explorers.hosts(DC, 20, 21);
        await().atMost(Duration.ofSeconds(60)).until(() -> explorer.count("online") == 11);

        assertThat(explorer.process().isAlive()).isTrue();
        JsonNode oversized = node(explorer, id(10));
        assertThat(oversized.path("parseError").asText()).contains("200", "larger than 65536");
        assertThat(oversized.path("status").asText()).isEqualTo("online");
        JsonNode longFields = node(explorer, id(11));
        assertThat(longFields.path("parseError").asText()).contains("location.city longer than 200", "more than 32 labels");
        assertThat(longFields.path("city").isNull()).isTrue();
        assertThat(longFields.path("country").asText()).isEqualTo("BW");
        assertThat(node(explorer, id(12)).path("parseError").asText()).contains("not valid UTF-8");
        assertThat(node(explorer, id(13)).path("parseError").asText()).startsWith("unreadable record");
        JsonNode nul = node(explorer, id(14));
        assertThat(nul.path("parseError").isNull()).isTrue();
        assertThat(nul.path("labels").path("a").asText()).isEqualTo("xy");
        assertThat(explorer.status("/api/nodes/" + id(15))).isEqualTo(404);
        assertThat(explorer.status("/api/nodes/" + id(16))).isEqualTo(404);
        assertThat(explorer.api("/api/nodes?limit=1&q=aaaaaaaaaa").path("total").asLong()).isZero();
        assertThat(explorer.api("/api/datacenters").toString()).doesNotContain("sg\\\"x");
        assertThat(explorer.summary("devices")).isEqualTo(11);

        int falseEvents = 0;
        for (int i : new int[] {0, 1, 2, 3, 4}) {
            JsonNode events = explorer.api("/api/nodes/" + id(i) + "/events").path("items");
            falseEvents += events.size() - 1;
            assertThat(events).as("control host %d: one ONLINE, nothing else", i).hasSize(1);
            assertThat(events.get(0).path("type").asText()).isEqualTo("ONLINE");
        }
        String log = explorer.logText();
        assertThat(log).contains("is not a node ID", "manifest/printers/p1", "not a node record key",
                "ignoring replicate status replicate/status/sg\"x'", "not a datacenter name", "is malformed");
        assertThat(log).doesNotContain("Exception in thread").doesNotContain("\tat org.postgresql");

        String mustHold = "no crash, every other device unaffected (no event), ingest goes on";
        record("oversized value (200 KB record)", mustHold, "stored with a parse error, not parsed nor kept", falseEvents);
        record("long fields (250-char city, 300-char label, 40 labels, 255-char key)", mustHold,
                "fields over their column left out and named in the parse error; the long key skipped with a WARN", falseEvents);
        record("invalid UTF-8 record", mustHold, "stored with parse error \"not valid UTF-8\"", falseEvents);
        record("malformed JSON record; NUL in a label", mustHold,
                "stored with parse error \"unreadable record\"; NUL stripped (PostgreSQL refuses it)", falseEvents);
        record("key outside the schema", mustHold, "skipped with one WARN line per key", falseEvents);
        record("datacenter name with quotes", mustHold, "its status and devices ignored with one WARN line", falseEvents);
    }

    private static JsonNode node(ExplorerProcesses.Explorer explorer, String id) {
        JsonNode node = explorer.api("/api/nodes/" + id);
        assertThat(node).as("device " + id).isNotNull();
        return node;
    }

    private static void record(String fault, String mustHold, String detail, int falseEvents) {
        FaultReport.record(new FaultOutcome(SUITE, "bad input: " + fault, mustHold, null, falseEvents, detail));
    }
}
