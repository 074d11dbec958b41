package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class AdvertisedAgentsTest {

    private static final String NODES = """
            [{"Node": "server-1", "Address": "10.0.0.1", "Meta": {"consul-network-segment": ""}},
             {"Node": "client-2", "Address": "10.0.0.2", "Meta": {"edge-host-url": "http://10.0.0.2:8500"}},
             {"Node": "client-1", "Address": "10.0.0.3", "Meta": {"edge-host-url": "https://c1.example.net:8501/"}},
             {"Node": "client-3", "Address": "10.0.0.4", "Meta": {"edge-host-url": "http://10.0.0.4:8500"}},
             {"Node": "client-4", "Address": "10.0.0.5", "Meta": {"edge-host-url": "ftp://10.0.0.5"}},
             {"Node": "client-5", "Address": "10.0.0.6", "Meta": {"edge-host-url": "http://10.0.0.6:8500/v1"}},
             {"Node": "client-6", "Address": "10.0.0.7", "Meta": null}]
            """;

    @Test
    void onlyAgentsAdvertisingAUrlForHostsAreListedSorted() {
        assertThat(AdvertisedAgents.parse(NODES, "[]")).containsExactly(
                URI.create("http://10.0.0.2:8500"), URI.create("http://10.0.0.4:8500"), URI.create("https://c1.example.net:8501"));
    }

    @Test
    void anAgentWhoseSerfHealthIsCriticalIsLeftOutButOtherCriticalChecksOnItsNodeDoNotCount() {
        String critical = """
                [{"Node": "client-3", "CheckID": "serfHealth", "Status": "critical"},
                 {"Node": "client-2", "CheckID": "service:host-1", "Status": "critical"}]
                """;
        assertThat(AdvertisedAgents.parse(NODES, critical)).containsExactly(
                URI.create("http://10.0.0.2:8500"), URI.create("https://c1.example.net:8501"));
    }

    @Test
    void theNodeOfEachValidAdvertisedUrlIsKnownLiveOrNot() {
        assertThat(AdvertisedAgents.nodes(NODES)).containsOnly(
                java.util.Map.entry(URI.create("http://10.0.0.2:8500"), "client-2"),
                java.util.Map.entry(URI.create("https://c1.example.net:8501"), "client-1"),
                java.util.Map.entry(URI.create("http://10.0.0.4:8500"), "client-3"));
    }

    @Test
    void noAgentAdvertisingIsAnEmptyListAndGarbageIsAnError() {
        assertThat(AdvertisedAgents.parse("[{\"Node\": \"n\", \"Meta\": {}}]", "[]")).isEmpty();
        assertThatThrownBy(() -> AdvertisedAgents.parse("<html>", "[]")).hasMessageContaining("not JSON");
    }
}
