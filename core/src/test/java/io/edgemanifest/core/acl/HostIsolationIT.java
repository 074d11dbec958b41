package io.edgemanifest.core.acl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attacks of docs/security.md that one host can try on another host of the same Consul agent,
 * with real tokens carrying {@link AclPolicies#host}: A holds its own token and goes after B.
 */
class HostIsolationIT {

    private static final Logger log = LoggerFactory.getLogger(HostIsolationIT.class);
    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls("iso-explorer", "iso-sg", "iso-sg2");

    @TempDir
    static Path dir;

    private static ScheduledExecutorService scheduler;
    private static String idA;
    private static String idB;
    private static Presence b;
    private static Presence a;
    private static AclHttp asA;
    private static AclHttp asMaster;

    @BeforeAll
    static void twoHostsOnOneAgent() {
        ConsulAgent sg = consul.datacenter("iso-sg");
        ConsulAgent primary = consul.datacenter("iso-explorer");
        scheduler = Executors.newScheduledThreadPool(2);
        idA = NodeIdentity.loadOrCreate(dir.resolve("a"), NodeKind.HOST);
        idB = NodeIdentity.loadOrCreate(dir.resolve("b"), NodeKind.HOST);
        a = start(primary, sg, idA);
        b = start(primary, sg, idB);
        asA = new AclHttp(sg.httpUrl(), tokenOf(idA));
        asMaster = new AclHttp(sg.httpUrl(), sg.masterToken());
        await().atMost(Duration.ofSeconds(20)).until(() -> a.state() == PresenceState.PRESENT && b.state() == PresenceState.PRESENT);
    }

    private static final java.util.Map<String, String> TOKENS = new java.util.concurrent.ConcurrentHashMap<>();

    private static String tokenOf(String id) {
        return TOKENS.get(id);
    }

    private static Presence start(ConsulAgent primary, ConsulAgent sg, String id) {
        AclPolicies.PolicySpec policy = AclPolicies.host(id, List.of("iso-sg", "iso-sg2"));
        String token = primary.createToken(policy.name(), policy.rules(), policy.datacenters());
        TOKENS.put(id, token);
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg.httpUrl(), ConsulToken.of(token), null);
        CheckSpec.Ttl check = CheckSpec.Ttl.of(TTL);
        // As host-agent runs hosts: the key read every TTL minus one heartbeat.
        return Presence.create(PresenceConfig.of(endpoint, check).withVerifyInterval(TTL.minus(check.heartbeat())),
                NodeRecord.of(id, NodeKind.HOST, "1.0"), scheduler).start();
    }

    @AfterAll
    static void stop() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
        scheduler.shutdownNow();
    }

    private static String keyOf(String id) {
        return "/v1/kv/" + NodeKind.HOST.keyOf(id);
    }

    @Test
    void aHostWorksWithItsOwnTokenAlone() {
        assertThat(a.datacenter()).contains("iso-sg");
        assertThat(asA.get(keyOf(idA))).isEqualTo(200);
        assertThat(asA.get("/v1/health/service/gateway?passing")).isEqualTo(200);
    }

    @Test
    void cannotReadWriteOrDeleteAnotherHostsKey() {
        assertThat(asA.get(keyOf(idB))).isEqualTo(403);
        assertThat(asA.put(keyOf(idB), "{\"forged\":true}")).isEqualTo(403);
        assertThat(asA.status("DELETE", keyOf(idB), null)).isEqualTo(403);
        assertThat(asA.status("DELETE", "/v1/kv/manifest/hosts/?recurse", null)).isEqualTo(403);
        assertThat(asA.put(keyOf(idB) + "?release=" + b.sessionId().orElseThrow(), "")).isEqualTo(403);
        assertThat(asMaster.get(keyOf(idB))).isEqualTo(200);
    }

    @Test
    void cannotDeregisterPassFailOrForgeAnotherHost() {
        assertThat(asA.put("/v1/agent/service/deregister/" + idB, "")).isEqualTo(403);
        assertThat(asA.put("/v1/agent/check/fail/service:" + idB, "")).isEqualTo(403);
        assertThat(asA.put("/v1/agent/check/pass/service:" + idB, "")).isEqualTo(403);
        assertThat(asA.put("/v1/agent/service/register", """
                {"ID": "%s", "Name": "%s", "Tags": ["host"], "Meta": {"gateway": "forged"}}""".formatted(idB, idB)))
                .isEqualTo(403);
        // Its own name with B's ID would replace B's instance on this agent: refused too.
        assertThat(asA.put("/v1/agent/service/register", """
                {"ID": "%s", "Name": "%s", "Tags": ["host"]}""".formatted(idB, idA))).isIn(403, 400, 500);
        assertThat(asMaster.get("/v1/health/service/" + idB + "?passing")).isEqualTo(200);
        assertThat(asMaster.send("GET", "/v1/health/service/" + idB + "?passing", null).body()).contains(idB);
    }

    @Test
    void cannotRegisterAGatewayOrAStargate() {
        assertThat(asA.put("/v1/agent/service/register", "{\"ID\": \"gateway-fake\", \"Name\": \"gateway\"}")).isEqualTo(403);
        assertThat(asA.put("/v1/agent/service/register", "{\"ID\": \"stargate-fake\", \"Name\": \"stargate\"}")).isEqualTo(403);
        assertThat(asA.put("/v1/kv/manifest/gateways/gateway-fake", "{}")).isEqualTo(403);
    }

    @Test
    void cannotReadTheReplicaOrAnotherDatacenterThroughDc() {
        ConsulAgent primary = consul.datacenter("iso-explorer");
        primary.put("/v1/kv/replica/iso-sg/kv/manifest/hosts/x", "{}").orElseThrow();
        consul.datacenter("iso-sg2").put("/v1/kv/manifest/gateways/gateway-x", "{}").orElseThrow();

        AclHttp.Answer replica = asA.send("GET", "/v1/kv/replica/?recurse&dc=iso-explorer", null);
        assertThat(replica.status()).isIn(403, 404);
        assertThat(replica.body()).doesNotContain("replica/iso-sg");
        AclHttp.Answer other = asA.send("GET", "/v1/kv/manifest/?recurse&dc=iso-sg2", null);
        assertThat(other.status()).isIn(403, 404);
        assertThat(other.body()).doesNotContain("gateway-x");
    }

    @Test
    void aSessionNodePrefixKeepsAHostAwayFromSessionsOnOtherAgents() {
        String idC = NodeIdentity.loadOrCreate(dir.resolve("c"), NodeKind.HOST);
        // Hosts' own agents named "hosts-…": this agent (consul-iso-sg) is not one of them.
        AclPolicies.PolicySpec narrow = AclPolicies.host(idC, List.of("iso-sg", "iso-sg2"), "hosts-");
        String token = consul.datacenter("iso-explorer").createToken(narrow.name(), narrow.rules(), narrow.datacenters());
        AclHttp asC = new AclHttp(consul.datacenter("iso-sg").httpUrl(), token);
        await().atMost(Duration.ofSeconds(5)).until(() -> asC.get(keyOf(idC)) == 404);

        assertThat(asC.put("/v1/session/destroy/" + b.sessionId().orElseThrow(), "")).isEqualTo(403);
        assertThat(asC.put("/v1/session/create", "{\"NodeChecks\": []}")).isEqualTo(403);
    }

    @Test
    void aDestroyedSessionCostsTheVictimItsRecordForUnderOneTtlAndNeverItsCheck() {
        String victimSession = b.sessionId().orElseThrow();
        assertThat(asA.put("/v1/session/destroy/" + victimSession, "")).isEqualTo(200); // the hole 1.8 leaves

        long destroyed = System.nanoTime();
        await().atMost(Duration.ofSeconds(5)).until(() -> asMaster.get(keyOf(idB)) == 404);
        await().atMost(TTL.plusSeconds(1)).pollInterval(Duration.ofMillis(50))
                .until(() -> asMaster.get(keyOf(idB)) == 200 && !victimSession.equals(b.sessionId().orElse(victimSession)));
        long back = (System.nanoTime() - destroyed) / 1_000_000;
        log.info("record of the victim rewritten {} ms after its session was destroyed (TTL {} s)", back, TTL.toSeconds());
        assertThat(asMaster.send("GET", "/v1/health/service/" + idB + "?passing", null).body()).contains(idB);
        assertThat(b.state()).isEqualTo(PresenceState.PRESENT);
    }
}
