package io.edgemanifest.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttachedHostsTest {

    private static String host(String name, String gateway) {
        String id = "host-" + java.util.UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return NodeRecords.toJson(NodeRecord.of(id, NodeKind.HOST, "1").withGateway(gateway));
    }

    @Test
    void countsOnlyTheRecordsNamingThisGateway() {
        List<String> records = List.of(host("host-a", "gateway-1"), host("host-b", "gateway-2"),
                host("host-c", "gateway-1"), host("host-d", null));

        assertThat(AttachedHosts.naming("gateway-1", records)).isEqualTo(2);
        assertThat(AttachedHosts.naming("gateway-2", records)).isEqualTo(1);
        assertThat(AttachedHosts.naming("gateway-3", records)).isZero();
    }

    @Test
    void somethingThatIsNotANodeRecordDoesNotCount() {
        assertThat(AttachedHosts.naming("gateway-1", List.of("not json", "{\"gateway\":", ""))).isZero();
    }
}
