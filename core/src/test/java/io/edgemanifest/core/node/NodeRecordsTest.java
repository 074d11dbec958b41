package io.edgemanifest.core.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeRecordsTest {

    private static final String HOST = "host-0b7e1f4e-8f63-4c4b-9d0c-2a1f0e3d4c5b";
    private static final String GATEWAY = "gateway-1b7e1f4e-8f63-4c4b-9d0c-2a1f0e3d4c5b";

    @Test
    void roundTripsEveryField() {
        NodeRecord record = NodeRecord.of(HOST, NodeKind.HOST, "0.1.0").withDatacenter("sg-a").withGateway(GATEWAY)
                .withLocation(new Location("Gaborone", "BW", -24.65, 25.91)).withLabels(Map.of("tier", "gold"));

        String json = NodeRecords.toJson(record);

        assertThat(json).contains("\"schema\":1", "\"kind\":\"HOST\"", "\"gateway\":\"" + GATEWAY + "\"");
        assertThat(NodeRecords.fromJson(json)).contains(record);
    }

    @Test
    void hostWithoutGatewaySaysSoExplicitly() {
        String json = NodeRecords.toJson(NodeRecord.of(HOST, NodeKind.HOST, "0.1.0"));
        assertThat(json).contains("\"gateway\":null");
    }

    @Test
    void readsRecordsWithFieldsItDoesNotKnow() {
        String json = NodeRecords.toJson(NodeRecord.of(HOST, NodeKind.HOST, "0.1.0")).replaceFirst("\\{", "{\"future\":42,");
        assertThat(NodeRecords.fromJson(json)).map(NodeRecord::id).contains(HOST);
    }

    @Test
    void malformedValuesAreEmptyNotErrors() {
        assertThat(NodeRecords.fromJson("{not json")).isEmpty();
        assertThat(NodeRecords.fromJson("")).isEmpty();
        assertThat(NodeRecords.fromJson("{\"id\":\"x\",\"kind\":\"HOST\"}")).isEmpty();
        assertThat(NodeRecords.fromJson("[1,2]")).isEmpty();
    }

    @Test
    void refusesRecordsLargerThan64KiB() {
        Map<String, String> labels = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            labels.put("label-" + i, "x".repeat(64));
        }
        NodeRecord big = NodeRecord.of(HOST, NodeKind.HOST, "0.1.0").withLabels(labels);
        assertThatThrownBy(() -> NodeRecords.toJson(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536");
    }

    @Test
    void serviceMetaCarriesKindVersionAndGatewayForHosts() {
        assertThat(NodeRecord.of(HOST, NodeKind.HOST, "0.1.0").withGateway(GATEWAY).serviceMeta())
                .containsEntry("kind", "host").containsEntry("version", "0.1.0").containsEntry("gateway", GATEWAY);
        assertThat(NodeRecord.of(GATEWAY, NodeKind.GATEWAY, "0.1.0").serviceMeta()).doesNotContainKey("gateway");
    }

    @Test
    void parsesLocations() {
        assertThat(Location.parse("Las Vegas,US,36.17,-115.14")).isEqualTo(new Location("Las Vegas", "US", 36.17, -115.14));
        assertThat(Location.parse("Gaborone, BW")).isEqualTo(new Location("Gaborone", "BW", null, null));
        assertThatThrownBy(() -> Location.parse("nowhere")).hasMessageContaining("nowhere");
        assertThatThrownBy(() -> Location.parse("a,b,95,0")).hasMessageContaining("95");
    }
}
