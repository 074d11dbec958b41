package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulCluster;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * replicate against a source of 3 Raft servers and 2 client agents (#12): what Consul-level faults
 * must not make it say. One source and one replicator for the class, the scenarios in order; hosts
 * are plain services (long TTL, tagged {@code host}) registered on client 2, read directly through
 * client 1.
 * <ul>
 *   <li>the leader killed twice: a few seconds without a leader is not "unreachable", and nothing
 *       leaves the replica ({@code ?stale} reads, deletions held);</li>
 *   <li>the client agent carrying the hosts killed: they are {@code agent-down}, never critical;</li>
 *   <li>the servers restarted empty: no host leaves the replica while its agent has not re-synced.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicateClusterIT {

    private static final String SOURCE = "rc-sg";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> HOSTS = List.of("host-rc-1", "host-rc-2", "host-rc-3");

    private static ConsulCluster cluster;
    private static ConsulAgent destination;
    private static Replicator replicator;

    @BeforeAll
    static void start() {
        destination = ConsulAgent.create("rc-explorer").start();
        cluster = ConsulCluster.start(SOURCE, 2);
        HOSTS.forEach(ReplicateClusterIT::registerHost);
        ReplicateSettings settings = new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(5), 0.5, 100,
                Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(10),
                Duration.ofSeconds(60));
        replicator = new Replicator(new Replicator.ReplicateConfig(ConsulEndpoint.parse(destination.httpUrl(), null),
                List.of(SourceSpec.parse(SOURCE + "=" + cluster.client(1).httpUrl(), null)), settings,
                Duration.ofSeconds(3), Duration.ofMillis(500))).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> HOSTS.stream().allMatch(id -> "passing".equals(status(id))));
    }

    @AfterAll
    static void stop() {
        if (replicator != null) {
            replicator.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        if (destination != null) {
            destination.close();
        }
    }

    /** A host as the catalog sees one: its own name, tagged host, a TTL check born passing (long: no heartbeat needed). */
    private static void registerHost(String id) {
        String body = "{\"ID\":\"" + id + "\",\"Name\":\"" + id + "\",\"Tags\":[\"host\"],"
                + "\"Check\":{\"TTL\":\"10m\",\"Status\":\"passing\"}}";
        assertThat(cluster.client(2).request("PUT", "/v1/agent/service/register", body)).isPresent();
    }

    /** The host's status in the replica; null when it is not there. */
    private static String status(String id) {
        return destination.get("/v1/kv/replica/" + SOURCE + "/services/" + id + "?raw").map(raw -> {
            try {
                return JSON.readTree(raw).path("status").asText(null);
            } catch (Exception e) {
                return null;
            }
        }).orElse(null);
    }

    private static String sourceState() {
        return destination.get("/v1/kv/" + SourceStatus.key(SOURCE) + "?raw").map(raw -> {
            try {
                JsonNode node = JSON.readTree(raw);
                return node.path("state").asText("");
            } catch (Exception e) {
                return "";
            }
        }).orElse("");
    }

    /** Samples the replica in the background while a fault runs: every host status and source state seen. */
    private static final class Watch implements AutoCloseable {
        final Set<String> statuses = ConcurrentHashMap.newKeySet();
        final Set<String> states = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = Thread.ofVirtual().start(() -> {
            while (running.get()) {
                HOSTS.forEach(id -> statuses.add(Optional.ofNullable(status(id)).orElse("missing")));
                states.add(sourceState());
                try {
                    Thread.sleep(100); // sampling pace, not synchronisation
                } catch (InterruptedException e) {
                    return;
                }
            }
        });

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    @Test
    @Order(1)
    void theLeaderKilledTwiceIsNeitherAnOutageNorALoss() throws Exception {
        Watch watch = new Watch();
        try (watch) {
            for (int round = 0; round < 2; round++) {
                ConsulCluster.Member leader = cluster.leader();
                cluster.kill(leader);
                cluster.awaitNewLeader(leader);
                cluster.start(leader);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> "ok".equals(sourceState()));
        }
        assertThat(watch.states).as("states of the source during two elections").doesNotContain("unreachable");
        assertThat(watch.statuses).as("host statuses in the replica during two elections").containsOnly("passing");
    }

    @Test
    @Order(2)
    void hostsOnAKilledClientAgentAreAgentDownNeverCritical() throws Exception {
        Watch watch = new Watch();
        try (watch) {
            cluster.kill(cluster.client(2));
            await().atMost(Duration.ofSeconds(30)).until(() -> HOSTS.stream().allMatch(id -> Scopes.AGENT_DOWN.equals(status(id))));
        }
        assertThat(watch.statuses).as("host statuses while their agent was down").doesNotContain("critical", "missing");
        // Back with its data, the agent restores the TTL checks critical: the hosts' next heartbeat passes them.
        cluster.start(cluster.client(2));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
            HOSTS.forEach(id -> cluster.client(2).request("PUT", "/v1/agent/check/pass/service:" + id, ""));
            return HOSTS.stream().allMatch(id -> "passing".equals(status(id)));
        });
    }

    @Test
    @Order(3)
    void serversRestartedEmptyLoseNoHostWhileItsAgentReSyncs() throws Exception {
        Watch watch = new Watch();
        try (watch) {
            cluster.restartServersEmpty();
            // A host notices its lost session and registers again (a plain anti-entropy full sync may
            // take minutes); its agent then syncs it. Until then it must stay in the replica.
            HOSTS.forEach(ReplicateClusterIT::registerHost);
            await().atMost(Duration.ofSeconds(90)).until(() ->
                    cluster.client(2).get("/v1/catalog/service/" + HOSTS.getFirst()).filter(s -> s.contains(HOSTS.getFirst())).isPresent()
                            && "ok".equals(sourceState()));
        }
        assertThat(watch.statuses).as("host statuses while the servers came back empty").doesNotContain("missing", "critical");
        assertThat(HOSTS).allSatisfy(id -> assertThat(status(id)).isEqualTo("passing"));
    }
}
