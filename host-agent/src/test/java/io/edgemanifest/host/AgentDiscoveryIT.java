package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.testing.ConsulCluster;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts given one Consul agent of a real datacenter (3 servers, 3 client agents advertising
 * {@code edge-host-url}) learn the agents that take hosts and spread over them by rendezvous; when
 * an agent leaves its hosts move, and when it comes back only the hosts that choose it move back —
 * each keeping a passing instance in the catalog throughout.
 */
class AgentDiscoveryIT {

    private static final Logger log = LoggerFactory.getLogger(AgentDiscoveryIT.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TTL = Duration.ofSeconds(3);
    private static final int HOSTS = 9;
    private static final String PASSING_HOSTS = "/v1/health/state/passing?filter="
            + URLEncoder.encode("ServiceTags contains \"host\"", StandardCharsets.UTF_8).replace("+", "%20");

    @TempDir
    Path dir;

    @Test
    void hostsGivenOneAgentLearnTheOthersAndRebalanceByRendezvousAsAgentsComeAndGo() throws Exception {
        try (ConsulCluster cluster = ConsulCluster.startAdvertisingHostUrls("sg-discovery", 3)) {
            // Given only a server, which does not advertise itself: everything else is learned.
            ConsulEndpoint bootstrap = ConsulEndpoint.parse(cluster.server(1).httpUrl(), null);
            Map<ConsulEndpoint, String> nodeOf = new HashMap<>();
            cluster.clients().forEach(m -> nodeOf.put(ConsulEndpoint.parse(m.httpUrl(), null), m.name()));
            List<ConsulEndpoint> three = cluster.clients().stream().map(m -> ConsulEndpoint.parse(m.httpUrl(), null)).toList();
            ConsulEndpoint third = three.get(2);
            List<ConsulEndpoint> two = three.subList(0, 2);

            List<HostAgent> hosts = new ArrayList<>();
            try {
                for (int i = 0; i < HOSTS; i++) {
                    hosts.add(new HostAgent(new HostAgentConfig(List.of(List.of(bootstrap)), dir.resolve("h" + i),
                            CheckSpec.Ttl.of(TTL), null, Map.of(), Duration.ofSeconds(30), Duration.ofMinutes(1), "test",
                            true)).start());
                }
                // 1. Discovery: each host is on its rendezvous choice among the three clients.
                awaitPlaced(cluster, hosts, nodeOf, three);
                assertThat(hosts).anyMatch(h -> HostAgent.rankFor(h.id(), three).get(0).equals(third));

                // 2. The third agent leaves: its hosts move to their second choice, the others stay put.
                Map<String, Presence> before = presences(hosts);
                cluster.client(3).request("PUT", "/v1/agent/leave", null);
                awaitPlaced(cluster, hosts, nodeOf, two);
                // A graceful leave ends the agent's process once the datacenter knows.
                await().atMost(Duration.ofSeconds(15)).until(() -> !cluster.client(3).isRunning());
                for (HostAgent h : hosts) {
                    boolean wasOnThird = HostAgent.rankFor(h.id(), three).get(0).equals(third);
                    assertThat(h.presence() == before.get(h.id())).as("%s moved", h.id()).isEqualTo(!wasOnThird);
                }

                // 3. It comes back: only the hosts that choose it move, and no host is ever without a
                // passing instance in the catalog (register on the new agent, then leave the old).
                Map<String, Presence> onTwo = presences(hosts);
                Set<String> gaps = ConcurrentHashMap.newKeySet();
                ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
                try {
                    sampler.scheduleAtFixedRate(() -> cluster.server(1).get(PASSING_HOSTS).ifPresent(json -> {
                        Set<String> passing = instances(json).keySet();
                        hosts.stream().map(HostAgent::id).filter(id -> !passing.contains(id)).forEach(gaps::add);
                    }), 0, 50, TimeUnit.MILLISECONDS);
                    cluster.start(cluster.client(3));
                    awaitPlaced(cluster, hosts, nodeOf, three);
                } finally {
                    sampler.shutdownNow();
                }
                for (HostAgent h : hosts) {
                    boolean choosesThird = HostAgent.rankFor(h.id(), three).get(0).equals(third);
                    assertThat(h.presence() == onTwo.get(h.id())).as("%s moved", h.id()).isEqualTo(!choosesThird);
                }
                assertThat(gaps).as("hosts seen without a passing instance while agents joined").isEmpty();
            } finally {
                hosts.forEach(HostAgent::close);
            }
        }
    }

    /** Every host PRESENT on its rendezvous choice among {@code agents}, with its one passing instance there. */
    private static void awaitPlaced(ConsulCluster cluster, List<HostAgent> hosts, Map<ConsulEndpoint, String> nodeOf,
                                    List<ConsulEndpoint> agents) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Set<String>> instances = instances(cluster.server(1).get(PASSING_HOSTS).orElse("[]"));
            for (HostAgent h : hosts) {
                ConsulEndpoint choice = HostAgent.rankFor(h.id(), agents).get(0);
                assertThat(h.attachedTo()).as(h.id()).contains(choice);
                assertThat(h.presence().state()).as(h.id()).isEqualTo(PresenceState.PRESENT);
                assertThat(instances.get(h.id())).as("passing instances of %s", h.id()).containsExactly(nodeOf.get(choice));
            }
        });
        log.info("all {} hosts placed on their choice among {}", hosts.size(), agents);
    }

    private static Map<String, Presence> presences(List<HostAgent> hosts) {
        Map<String, Presence> map = new HashMap<>();
        hosts.forEach(h -> map.put(h.id(), h.presence()));
        return map;
    }

    /** Service ID → nodes where it passes. */
    private static Map<String, Set<String>> instances(String checksJson) {
        Map<String, Set<String>> result = new HashMap<>();
        try {
            for (JsonNode check : JSON.readTree(checksJson)) {
                result.computeIfAbsent(check.path("ServiceID").asText(), k -> new HashSet<>()).add(check.path("Node").asText());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return result;
    }
}
