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
                oneAgentUnderTwoUrlsIsNoMove(cluster, nodeOf, three);

                // 2. The third agent leaves: its hosts move to their second choice, the others stay put.
                // Its leave takes its hosts' instances out of the catalog: those are missing until
                // they pass on their second choice (bounded), the others are never missing.
                Map<String, Presence> before = presences(hosts);
                Map<String, Long> leaveGaps;
                try (GapSampler sampler = new GapSampler(cluster, hosts)) {
                    cluster.client(3).request("PUT", "/v1/agent/leave", null);
                    awaitPlaced(cluster, hosts, nodeOf, two);
                    leaveGaps = sampler.finish();
                }
                log.info("hosts missing from the passing instances while their agent left (ms): {}", leaveGaps);
                for (HostAgent h : hosts) {
                    boolean wasOnThird = HostAgent.rankFor(h.id(), three).get(0).equals(third);
                    if (wasOnThird) {
                        assertThat(leaveGaps.getOrDefault(h.id(), 0L)).as("ms %s was missing", h.id())
                                .isLessThanOrEqualTo(TTL.multipliedBy(2).toMillis());
                    } else {
                        assertThat(leaveGaps).as("hosts on staying agents").doesNotContainKey(h.id());
                    }
                }
                // A graceful leave ends the agent's process once the datacenter knows.
                await().atMost(Duration.ofSeconds(15)).until(() -> !cluster.client(3).isRunning());
                for (HostAgent h : hosts) {
                    boolean wasOnThird = HostAgent.rankFor(h.id(), three).get(0).equals(third);
                    assertThat(h.presence() == before.get(h.id())).as("%s moved", h.id()).isEqualTo(!wasOnThird);
                }

                // 3. It comes back: only the hosts that choose it move, and no host is ever without a
                // passing instance in the catalog (register on the new agent, then leave the old).
                Map<String, Presence> onTwo = presences(hosts);
                Map<String, Long> gaps;
                try (GapSampler sampler = new GapSampler(cluster, hosts)) {
                    cluster.start(cluster.client(3));
                    awaitPlaced(cluster, hosts, nodeOf, three);
                    gaps = sampler.finish();
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

    /**
     * A host given its own agent as {@code http://localhost:port} (the catalog advertises {@code
     * http://127.0.0.1:port}) that attached before discovery answered: the advertised choice is
     * the same node, so it stays where it is with its one instance — a "move" there would leave the
     * old attachment, whose deregistration removes the new instance on that same agent.
     */
    private void oneAgentUnderTwoUrlsIsNoMove(ConsulCluster cluster, Map<ConsulEndpoint, String> nodeOf,
                                             List<ConsulEndpoint> three) {
        Path state = dir.resolve("alias");
        String id = io.edgemanifest.core.node.NodeIdentity.loadOrCreate(state, io.edgemanifest.core.node.NodeKind.HOST);
        ConsulEndpoint own = HostAgent.rankFor(id, three).get(0);
        ConsulEndpoint alias = ConsulEndpoint.parse(own.url().toString().replace("127.0.0.1", "localhost"), null);
        assertThat(alias).isNotEqualTo(own);
        // Discovery shared with the host but started only once it is attached (as when the first
        // answer is late): the host attaches to the URL it was given.
        AgentDiscovery late = new AgentDiscovery(List.of(alias), Duration.ofSeconds(5));
        Map<ConsulEndpoint, io.edgemanifest.core.consul.PassingServiceWatch> watches = new ConcurrentHashMap<>();
        Map<ConsulEndpoint, org.kiwiproject.consul.Consul> clients = new ConcurrentHashMap<>();
        HostAgent.Shared shared = new HostAgent.Shared() {
            @Override
            public io.edgemanifest.core.consul.PassingServiceWatch watch(ConsulEndpoint endpoint) {
                return watches.computeIfAbsent(endpoint, e -> new io.edgemanifest.core.consul.PassingServiceWatch(e,
                        io.edgemanifest.core.node.NodeKind.GATEWAY.serviceName()).start());
            }

            @Override
            public org.kiwiproject.consul.Consul client(ConsulEndpoint endpoint) {
                return clients.computeIfAbsent(endpoint, e -> e.client(Duration.ofSeconds(5)));
            }

            @Override
            public AgentDiscovery discovery(List<ConsulEndpoint> group) {
                return late;
            }
        };
        HostAgent host = new HostAgent(new HostAgentConfig(List.of(List.of(alias)), state, CheckSpec.Ttl.of(TTL), null,
                Map.of(), Duration.ofSeconds(30), Duration.ofMinutes(1), "test", true), null, shared);
        try {
            host.start();
            assertThat(host.attachedTo()).contains(alias);
            await().atMost(Duration.ofSeconds(10)).until(() -> host.presence().state() == PresenceState.PRESENT);
            Presence before = host.presence();
            String session = sessionOf(cluster, id);
            assertThat(session).as("session holding the record of %s", id).isNotEmpty();
            late.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> late.current() != null && late.current().size() == 3);
            assertThat(late.nodeOf(alias.url())).isEqualTo(nodeOf.get(own));
            // Through more than a TTL (an instance deregistered under it would be gone or re-made by then):
            await().during(TTL.multipliedBy(2)).atMost(TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        assertThat(host.presence()).isSameAs(before);
                        assertThat(host.attachedTo()).contains(alias);
                        assertThat(before.state()).isEqualTo(PresenceState.PRESENT);
                        // The record is never re-made (a deregistered instance invalidates its session).
                        assertThat(sessionOf(cluster, id)).as("session holding the record of %s", id).isEqualTo(session);
                        assertThat(instances(cluster.server(1).get(PASSING_HOSTS).orElse("[]")).get(id))
                                .as("passing instances of %s", id).containsExactly(nodeOf.get(own));
                    });
        } finally {
            host.close();
            late.close();
            watches.values().forEach(io.edgemanifest.core.consul.PassingServiceWatch::close);
            clients.values().forEach(org.kiwiproject.consul.Consul::destroy);
        }
    }

    /**
     * Reads the passing host instances every 50 ms and keeps, per host, the longest time it was
     * missing (ms). A sample that fails is counted, not lost: {@link #finish} asserts there was none
     * and that it sampled at all (an exception in a fixed-rate task would cancel it silently).
     */
    private static final class GapSampler implements AutoCloseable {
        private final ConsulCluster cluster;
        private final List<String> ids;
        private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
        private final Map<String, Long> missingSince = new HashMap<>(); // only the sampler thread
        private final Map<String, Long> longest = new ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

        GapSampler(ConsulCluster cluster, List<HostAgent> hosts) {
            this.cluster = cluster;
            this.ids = hosts.stream().map(HostAgent::id).toList();
            executor.scheduleAtFixedRate(this::sample, 0, 50, TimeUnit.MILLISECONDS);
        }

        private void sample() {
            try {
                String json = cluster.server(1).get(PASSING_HOSTS).orElseThrow(
                        () -> new IllegalStateException("server 1 did not answer 200"));
                Set<String> passing = instances(json).keySet();
                long now = System.nanoTime();
                for (String id : ids) {
                    if (!passing.contains(id)) {
                        missingSince.putIfAbsent(id, now);
                        longest.merge(id, (now - missingSince.get(id)) / 1_000_000, Math::max);
                    } else {
                        missingSince.remove(id);
                    }
                }
                runs.incrementAndGet();
            } catch (Throwable t) {
                failures.add(String.valueOf(t));
            }
        }

        /** Stops sampling; the longest gap per host that had one. */
        Map<String, Long> finish() throws InterruptedException {
            executor.shutdown();
            assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).as("sampler stopped").isTrue();
            assertThat(failures).as("failed samples").isEmpty();
            assertThat(runs.get()).as("samples taken").isGreaterThanOrEqualTo(5);
            return Map.copyOf(longest);
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }

    /** The session holding a host's record, "" when there is none. */
    private static String sessionOf(ConsulCluster cluster, String id) {
        try {
            JsonNode entries = JSON.readTree(cluster.server(1).get("/v1/kv/manifest/hosts/" + id).orElse("[]"));
            return entries.isEmpty() ? "" : entries.get(0).path("Session").asText("");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
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
