package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScopesTest {

    @Test
    void theWorstCheckWinsAndMaintenanceOrAnythingUnknownCountsAsCritical() {
        assertThat(Scopes.worse("passing", "passing")).isEqualTo("passing");
        assertThat(Scopes.worse("passing", "warning")).isEqualTo("warning");
        assertThat(Scopes.worse("critical", "warning")).isEqualTo("critical");
        assertThat(Scopes.worse("passing", "maintenance")).isEqualTo("critical");
        assertThat(Scopes.worse("warning", null)).isEqualTo("critical");
    }

    @Test
    void theBestInstanceOfAnIdWinsWhateverTheOrderAndTheFirstStaysOnATie() {
        record Instance(String id, String node, String status) {
        }
        List<Instance> answer = List.of(new Instance("gw-1", "live", "passing"), new Instance("gw-1", "zz-dead", "critical"),
                new Instance("gw-2", "a", "warning"), new Instance("gw-2", "b", "critical"),
                new Instance("gw-3", "a", "passing"), new Instance("gw-3", "b", "passing"));
        for (List<Instance> order : List.of(answer, answer.reversed())) {
            Map<String, Instance> best = Scopes.bestPerId(order, Instance::id, Instance::status);
            assertThat(best.get("gw-1").node()).isEqualTo("live");
            assertThat(best.get("gw-2").status()).isEqualTo("warning");
            assertThat(best.get("gw-3")).isEqualTo(order.stream().filter(i -> i.id().equals("gw-3")).findFirst().orElseThrow());
        }
    }

    @Test
    void aPassingInstanceElsewhereBeatsAnAgentDownOneAndAgentDownBeatsCritical() {
        record Instance(String id, String node, String status) {
        }
        List<Instance> answer = List.of(new Instance("host-1", "dead-agent", Scopes.AGENT_DOWN),
                new Instance("host-1", "live-agent", "passing"),
                new Instance("host-2", "old", "critical"), new Instance("host-2", "dead-agent", Scopes.AGENT_DOWN));
        for (List<Instance> order : List.of(answer, answer.reversed())) {
            Map<String, Instance> best = Scopes.bestPerId(order, Instance::id, Instance::status);
            assertThat(best.get("host-1").node()).isEqualTo("live-agent");
            assertThat(best.get("host-2").status()).isEqualTo(Scopes.AGENT_DOWN);
        }
        assertThat(Scopes.worse("passing", Scopes.AGENT_DOWN)).isEqualTo(Scopes.AGENT_DOWN);
        assertThat(Scopes.worse("critical", Scopes.AGENT_DOWN)).isEqualTo("critical");
    }
}
