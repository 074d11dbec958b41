package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The 3-server datacenter is real Raft: a killed leader is replaced, data survives restarts
 * (persistent data directories) and goes only when wiped; ACLs replicate from the primary; close
 * leaves no process. One cluster for the class, scenarios in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsulClusterIT {

    private static ConsulAgent primary;
    private static ConsulCluster cluster;

    @BeforeAll
    static void start() {
        primary = ConsulAgent.createWithAcls("cl-primary").start();
        cluster = ConsulCluster.startWithPrimary("cl-a", 1, primary);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    private static Optional<String> value(ConsulCluster.Member via, String key) {
        return via.get("/v1/kv/" + key + "?raw");
    }

    @Test
    @Order(1)
    void aClientAgentServesTheDatacenterWithTheTokensOfTheAclPrimary() {
        ConsulCluster.Member client = cluster.client(1);
        assertThat(client.request("PUT", "/v1/kv/probe/one", "1")).contains("true");
        assertThat(value(client, "probe/one")).contains("1");
        assertThat(primary.datacenters()).contains("\"cl-a\"");
        String body = client.get("/v1/catalog/nodes").orElseThrow();
        assertThat(body).contains("cl-a-server-1", "cl-a-server-2", "cl-a-server-3", "cl-a-client-1");
    }

    @Test
    @Order(2)
    void aKilledLeaderIsReplacedAndNoWriteIsLost() {
        List<Long> elections = new ArrayList<>();
        for (int round = 1; round <= 2; round++) {
            ConsulCluster.Member leader = cluster.leader();
            assertThat(cluster.client(1).request("PUT", "/v1/kv/probe/round-" + round, "r" + round)).contains("true");
            long killed = System.nanoTime();
            cluster.kill(leader);
            ConsulCluster.Member next = cluster.awaitNewLeader(leader);
            elections.add((System.nanoTime() - killed) / 1_000_000);
            assertThat(next).isNotSameAs(leader);
            String key = "probe/round-" + round;
            String expected = "r" + round;
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(value(cluster.client(1), key)).contains(expected));
            cluster.start(leader); // same ports, same data: back as a follower
        }
        System.out.println("leader killed -> new leader after " + elections + " ms");
        assertThat(elections).allMatch(ms -> ms < 15_000);
    }

    @Test
    @Order(3)
    void serversKeepTheirDataAcrossARestartOfTheWholeDatacenter() {
        assertThat(cluster.client(1).request("PUT", "/v1/kv/probe/kept", "kept")).contains("true");
        cluster.restartServers();
        cluster.leader();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(value(cluster.client(1), "probe/kept")).contains("kept"));
    }

    @Test
    @Order(4)
    void aFrozenFollowerDoesNotStopTheDatacenterAndCatchesUpWhenThawed() {
        ConsulCluster.Member leader = cluster.leader();
        ConsulCluster.Member follower = cluster.servers().stream().filter(s -> s != leader).findFirst().orElseThrow();
        cluster.freeze(follower);
        try {
            // Through the leader: a client agent whose RPC goes to the frozen server waits for it.
            assertThat(leader.request("PUT", "/v1/kv/probe/frozen", "f")).contains("true");
        } finally {
            cluster.thaw(follower);
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(follower.get("/v1/kv/probe/frozen?raw&stale")).contains("f"));
    }

    @Test
    @Order(5)
    void aWipedServerGetsTheDataBackFromItsPeersAndWipedServersLoseIt() {
        ConsulCluster.Member follower = cluster.servers().stream().filter(s -> s != cluster.leader()).findFirst().orElseThrow();
        cluster.restartEmpty(follower);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(follower.get("/v1/kv/probe/kept?raw&stale")).contains("kept"));

        cluster.restartServersEmpty();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cluster.client(1).get("/v1/status/leader")).hasValueSatisfying(l -> assertThat(l).contains(":")));
        assertThat(value(cluster.client(1), "probe/kept")).isEmpty();
        // The ACL system comes back from the primary: the management token still writes.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cluster.client(1).request("PUT", "/v1/kv/probe/after", "a")).contains("true"));
    }

    @Test
    @Order(6)
    void closingLeavesNoConsulProcess() {
        List<Long> pids = cluster.pids();
        assertThat(pids).hasSize(4);
        cluster.close();
        assertThat(pids).noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        cluster = null;
    }
}
