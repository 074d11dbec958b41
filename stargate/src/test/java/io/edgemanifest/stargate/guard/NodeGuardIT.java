package io.edgemanifest.stargate.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.stargate.Stargate;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/**
 * The Stargate's node guard against what Consul 1.8's ACLs let one host do to the others on a
 * shared agent (docs/security.md): a forged serfHealth check, a squatted ID — and the sessions of a
 * dead node, no longer bound to serfHealth, destroyed once it stays critical.
 */
class NodeGuardIT {

    private static final String PRIMARY = "guard-explorer";
    private static final String SG = "guard-sg";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY, SG);

    @TempDir
    static Path dir;

    private static Stargate stargate;
    private static ScheduledExecutorService scheduler;
    private static AclAdmin admin;
    private static String stargateToken;

    @BeforeAll
    static void startStargate() {
        ConsulAgent primary = consul.datacenter(PRIMARY);
        admin = new AclAdmin(ConsulEndpoint.parse(primary.httpUrl(), primary.masterToken()));
        admin.ensurePolicies(AclPolicies.roles(PRIMARY));
        stargateToken = admin.createToken("test stargate", AclPolicies.policyNames(AclPolicies.Role.STARGATE), false).secretId();
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg().httpUrl(), stargateToken);
        assertThat(TokenCheck.require(endpoint, "test")).isEqualTo(TokenCheck.Result.ACCEPTED);
        stargate = new Stargate(new Stargate.StargateConfig(endpoint, SG, dir.resolve("stargate"), "127.0.0.1", 0,
                "127.0.0.1", null, Duration.ofMinutes(1), "test", 0, PRIMARY)).start();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterAll
    static void stop() {
        if (stargate != null) {
            stargate.close();
        }
        scheduler.shutdownNow();
        admin.close();
    }

    private static ConsulAgent sg() {
        return consul.datacenter(SG);
    }

    private record Host(String id, String token, Presence presence) {
    }

    private static Host host(String name) {
        String id = NodeIdentity.loadOrCreate(dir.resolve(name), NodeKind.HOST);
        String token = admin.enrolHost(id, List.of(SG)).secretId();
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg().httpUrl(), ConsulToken.of(token), null);
        await().atMost(Duration.ofSeconds(5)).until(() -> TokenCheck.require(endpoint, "test") == TokenCheck.Result.ACCEPTED);
        Presence presence = Presence.create(PresenceConfig.of(endpoint, CheckSpec.Ttl.of(Duration.ofSeconds(3))),
                NodeRecord.of(id, NodeKind.HOST, "1.0"), scheduler).start();
        await().atMost(Duration.ofSeconds(15)).until(() -> presence.state() == PresenceState.PRESENT);
        return new Host(id, token, presence);
    }

    private static int put(String token, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sg().httpUrl() + path))
                .header("X-Consul-Token", token).PUT(HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String sessionOf(String hostId) {
        return sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId)).map(v -> v.replaceAll("(?s).*\"Session\"\\s*:\\s*\"([^\"]+)\".*", "$1"))
                .orElse("none");
    }

    private static boolean revoked(String hostId) {
        return sg().get("/v1/catalog/service/" + hostId).map(String::strip).map("[]"::equals).orElse(false)
                && sg().get("/v1/kv/enrol/hosts/" + hostId + "?raw").map(r -> r.contains("\"revokedAt\":\"")).orElse(false);
    }

    @Test
    void aHostForgingTheNodesSerfHealthIsRevokedAndNoOtherHostLosesItsSession() throws Exception {
        Host attacker = host("forger");
        Host victim = host("victim");
        String victimSession = sessionOf(victim.id());

        // Its own service name: Consul allows it; the agent syncs the check over the node's serfHealth.
        assertThat(put(attacker.token(), "/v1/agent/service/register", """
                {"ID": "%1$s", "Name": "%1$s", "Tags": ["host"],
                 "Checks": [{"CheckID": "serfHealth", "Name": "forged", "TTL": "60s", "Status": "critical"}]}"""
                .formatted(attacker.id()))).isEqualTo(200);

        await().atMost(Duration.ofSeconds(15)).until(() -> revoked(attacker.id()));
        // The victim's session is bound to its own check only: it survived the forged node check.
        assertThat(sessionOf(victim.id())).isEqualTo(victimSession);
        assertThat(victim.presence().state()).isEqualTo(PresenceState.PRESENT);
        attacker.presence().close();
    }

    @Test
    void aHostSquattingAnotherHostsIdIsRevoked() throws Exception {
        Host squatter = host("squatter");
        String someoneElse = "host-" + UUID.randomUUID();

        assertThat(put(squatter.token(), "/v1/agent/service/register", """
                {"ID": "%s", "Name": "%s", "Tags": ["host"], "Check": {"TTL": "60s", "Status": "passing"}}"""
                .formatted(someoneElse, squatter.id()))).isEqualTo(200);

        await().atMost(Duration.ofSeconds(15)).until(() -> revoked(squatter.id()));
        squatter.presence().close();
    }

    @Test
    void theSessionsOfANodeThatStaysDeadAreDestroyedAndTheirRecordsWithThem() {
        // A node the catalog knows with a failing serfHealth, as a dead client agent leaves it.
        sg().put("/v1/catalog/register", """
                {"Node": "ghost", "Address": "127.0.0.2",
                 "Check": {"CheckID": "serfHealth", "Name": "Serf Health Status", "Status": "critical"}}""").orElseThrow();
        String session = sg().put("/v1/session/create", "{\"Node\": \"ghost\", \"Checks\": [], \"Behavior\": \"delete\"}")
                .orElseThrow().replaceAll("(?s).*\"ID\"\\s*:\\s*\"([^\"]+)\".*", "$1");
        sg().put("/v1/kv/manifest/hosts/ghost-record?acquire=" + session, "{}").orElseThrow();

        Consul client = ConsulEndpoint.parse(sg().httpUrl(), stargateToken).client();
        try (NodeGuard guard = new NodeGuard(client, admin, Duration.ofMillis(250), Duration.ofSeconds(1),
                Clock.systemUTC()).start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> sg().get("/v1/kv/manifest/hosts/ghost-record").isEmpty());
            assertThat(sg().get("/v1/session/info/" + session).orElse("[]").strip()).isIn("[]", "null");
        } finally {
            client.destroy();
        }
    }
}
