package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.consul.ConsulEndpoint;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HostAgentMainTest {

    private static HostAgentConfig parse(String... args) {
        HostAgentMain main = new HostAgentMain();
        Cli.commandLine(main).parseArgs(args);
        return main.config();
    }

    @Test
    void agentsOfOneDatacenterAreJoinedByABarAndDatacentersByCommasOrRepeats() {
        HostAgentConfig config = parse("--consul", "http://a1:8500|http://a2:8500,http://b:8500", "--consul", "http://c:8500");
        assertThat(config.datacenters()).hasSize(3);
        assertThat(config.datacenters().get(0)).extracting(e -> e.url().getHost()).containsExactly("a1", "a2");
        assertThat(config.datacenters().get(2)).extracting(e -> e.url().getHost()).containsExactly("c");
    }

    @Test
    void aBadAgentUrlInAGroupIsNamed() {
        assertThatThrownBy(() -> parse("--consul", "http://a1:8500|ftp://a2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ftp://a2");
    }

    @Test
    void hostsSpreadEvenlyOverTheAgentsOfADatacenter() {
        List<ConsulEndpoint> group = List.of(ConsulEndpoint.parse("http://a1:8500", null),
                ConsulEndpoint.parse("http://a2:8500", null), ConsulEndpoint.parse("http://a3:8500", null));
        Map<String, Long> first = IntStream.range(0, 3000).mapToObj(i -> "host-" + i)
                .collect(Collectors.groupingBy(id -> HostAgent.rankFor(id, group).get(0).url().getHost(), Collectors.counting()));
        assertThat(first).containsOnlyKeys("a1", "a2", "a3");
        assertThat(first.values()).allSatisfy(n -> assertThat(n).isBetween(850L, 1150L));
        assertThat(HostAgent.rankFor("host-7", group)).hasSize(3).doesNotHaveDuplicates();
    }

    @Test
    void agentDiscoveryIsOnByDefaultAndTakesOnOrOff() {
        assertThat(parse("--consul", "http://a:8500").discoverAgents()).isTrue();
        assertThat(parse("--consul", "http://a:8500", "--discover-agents", "off").discoverAgents()).isFalse();
        assertThatThrownBy(() -> parse("--discover-agents", "maybe"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'maybe'");
    }

    @Test
    void whenAnAgentJoinsOnlyTheHostsThatChooseItMove() {
        List<ConsulEndpoint> three = List.of(ConsulEndpoint.parse("http://a1:8500", null),
                ConsulEndpoint.parse("http://a2:8500", null), ConsulEndpoint.parse("http://a3:8500", null));
        List<ConsulEndpoint> four = new java.util.ArrayList<>(three);
        four.add(ConsulEndpoint.parse("http://a4:8500", null));
        List<String> hosts = IntStream.range(0, 2000).mapToObj(i -> "host-" + i).toList();
        long moved = hosts.stream()
                .filter(id -> !HostAgent.rankFor(id, three).get(0).equals(HostAgent.rankFor(id, four).get(0)))
                .peek(id -> assertThat(HostAgent.rankFor(id, four).get(0).url().getHost()).isEqualTo("a4"))
                .count();
        assertThat(moved).isBetween(400L, 600L); // ~1/4: only the new agent's share moves
    }
}
