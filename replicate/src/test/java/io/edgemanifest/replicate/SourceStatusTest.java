package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SourceStatusTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<String> written = new ArrayList<>();

    private JsonNode last() throws Exception {
        return JSON.readTree(written.getLast());
    }

    @Test
    void aSourceIsOkOnlyOnceEveryScopeCompletedItsFirstRead() throws Exception {
        SourceStatus status = new SourceStatus("sg-a", List.of("kv:manifest/", "hosts", "service:gateway"),
                (key, json) -> written.add(json));

        status.synced("kv:manifest/", BigInteger.TEN, 3, 1, true);
        status.synced("hosts", BigInteger.TEN, 2, 1, true);
        // Records and hosts are in the replica, gateways not yet: "ok" now would let the Explorer
        // take every gateway for gone (#12 item 7).
        assertThat(status.state()).isEqualTo("syncing");
        assertThat(last().path("state").asText()).isEqualTo("syncing");
        assertThat(last().path("pending").toString()).contains("service:gateway").doesNotContain("hosts");

        status.synced("service:gateway", BigInteger.TEN, 0, 0, false); // empty, but read
        assertThat(status.state()).isEqualTo("ok");
        assertThat(last().path("state").asText()).isEqualTo("ok");
        assertThat(last().has("pending")).isFalse();
        assertThat(last().path("entries").asInt()).isEqualTo(5);
    }

    @Test
    void aScopeAnsweringAgainDoesNotMakeItOkWhileAnotherHasNeverAnswered() {
        SourceStatus status = new SourceStatus("sg-a", List.of("kv:manifest/", "hosts"), (key, json) -> written.add(json));
        for (int i = 0; i < 3; i++) {
            status.synced("kv:manifest/", BigInteger.valueOf(10 + i), 1, 0, i == 0);
        }
        assertThat(status.state()).isEqualTo("syncing");
        status.beat();
        assertThat(written).isNotEmpty().allSatisfy(json -> assertThat(json).contains("\"state\":\"syncing\""));
    }

    @Test
    void aScopeHoldingDeletionsMakesTheSourceSyncingUntilItHoldsNoMore() throws Exception {
        SourceStatus status = new SourceStatus("sg-a", List.of("hosts"), (key, json) -> written.add(json));
        status.synced("hosts", BigInteger.TEN, 3, 0, true);
        assertThat(status.state()).isEqualTo("ok");

        status.holding("hosts", "source state reset: 3 services wait for their agents to re-sync");
        status.synced("hosts", BigInteger.ONE, 3, 0, false);
        assertThat(status.state()).isEqualTo("syncing");
        assertThat(last().path("reason").asText()).contains("re-sync");

        status.holding("hosts", null);
        status.synced("hosts", BigInteger.TWO, 3, 0, true);
        assertThat(status.state()).isEqualTo("ok");
    }

    @Test
    void aSourceIsUnreachableOnlyAfterItsScopeKeptFailingForTheThreshold() {
        SourceStatus status = new SourceStatus("sg-a", List.of("hosts"), (key, json) -> written.add(json),
                java.time.Duration.ofSeconds(10));
        status.synced("hosts", BigInteger.TEN, 3, 0, true);
        for (int i = 0; i < 5; i++) { // an election: failures for a few seconds at most
            status.unreachable("hosts", new IllegalStateException("No cluster leader"));
        }
        assertThat(status.state()).isEqualTo("ok");
        SourceStatus quick = new SourceStatus("sg-a", List.of("hosts"), (key, json) -> written.add(json),
                java.time.Duration.ofMillis(1));
        quick.synced("hosts", BigInteger.TEN, 3, 0, true);
        quick.unreachable("hosts", new IllegalStateException("connection refused"));
        await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
            quick.unreachable("hosts", new IllegalStateException("connection refused"));
            assertThat(quick.state()).isEqualTo("unreachable");
        });
    }

    @Test
    void writesGoToTheStatusKeyOfTheSource() {
        List<String> keys = new ArrayList<>();
        SourceStatus status = new SourceStatus("sg-q", List.of("hosts"), (key, json) -> keys.add(key));
        status.synced("hosts", BigInteger.ONE, 0, 0, true);
        assertThat(keys).isNotEmpty().allSatisfy(key -> assertThat(key).isEqualTo("replicate/status/sg-q"));
    }
}
