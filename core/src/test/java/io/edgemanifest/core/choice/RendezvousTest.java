package io.edgemanifest.core.choice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RendezvousTest {

    private static final List<String> HOSTS = new ArrayList<>();

    static {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 300; i++) {
            HOSTS.add("host-" + new UUID(random.nextLong(), random.nextLong()));
        }
    }

    private static Map<String, String> assign(List<String> gateways) {
        Map<String, String> choice = new HashMap<>();
        HOSTS.forEach(h -> choice.put(h, Rendezvous.choose(h, gateways).orElseThrow()));
        return choice;
    }

    @Test
    void threeHundredHostsSpreadOverThreeGatewaysWithinTwentyPercent() {
        List<String> gateways = List.of("gateway-a", "gateway-b", "gateway-c");
        Map<String, Long> counts = new HashMap<>();
        assign(gateways).values().forEach(g -> counts.merge(g, 1L, Long::sum));

        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(80L, 120L));
    }

    @Test
    void addingAFourthGatewayMovesAtMostThirtyFivePercent() {
        Map<String, String> before = assign(List.of("gateway-a", "gateway-b", "gateway-c"));
        Map<String, String> after = assign(List.of("gateway-a", "gateway-b", "gateway-c", "gateway-d"));

        long moved = HOSTS.stream().filter(h -> !before.get(h).equals(after.get(h))).count();
        assertThat(moved).isLessThanOrEqualTo(105);
        assertThat(HOSTS.stream().filter(h -> !before.get(h).equals(after.get(h))))
                .as("every host that moved went to the new gateway")
                .allMatch(h -> after.get(h).equals("gateway-d"));
    }

    @Test
    void removingAGatewayMovesOnlyItsHosts() {
        Map<String, String> before = assign(List.of("gateway-a", "gateway-b", "gateway-c"));
        Map<String, String> after = assign(List.of("gateway-a", "gateway-c"));

        assertThat(HOSTS).filteredOn(h -> !before.get(h).equals("gateway-b"))
                .allMatch(h -> before.get(h).equals(after.get(h)));
    }

    @Test
    void choiceIsIndependentOfCandidateOrderAndEmptyWithoutCandidates() {
        assertThat(Rendezvous.choose("host-x", List.of("g1", "g2", "g3")))
                .isEqualTo(Rendezvous.choose("host-x", List.of("g3", "g1", "g2")));
        assertThat(Rendezvous.choose("host-x", List.of())).isEmpty();
    }

    @Test
    void rankStartsWithTheChoiceListsEveryCandidateOnceAndIgnoresInputOrder() {
        for (String host : HOSTS.subList(0, 50)) {
            List<String> ranked = Rendezvous.rank(host, List.of("a1", "a2", "a3", "a4"));
            assertThat(ranked).containsExactlyInAnyOrder("a1", "a2", "a3", "a4");
            assertThat(ranked.get(0)).isEqualTo(Rendezvous.choose(host, List.of("a4", "a3", "a2", "a1")).orElseThrow());
            assertThat(Rendezvous.rank(host, List.of("a3", "a1", "a4", "a2"))).isEqualTo(ranked);
        }
    }
}
