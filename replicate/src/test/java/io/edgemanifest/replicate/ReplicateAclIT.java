package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replicate under ACLs: with its role token (global) it replicates through WAN federation; with a
 * token the source refuses, the source is {@code unreachable} with the reason and the replica is
 * kept — a 403 never empties it.
 */
class ReplicateAclIT {

    private static final String PRIMARY = "acl-explorer";
    private static final String SOURCE = "acl-sg";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY, SOURCE);

    private static Replicator replicator(String token) {
        ConsulEndpoint destination = ConsulEndpoint.parse(consul.datacenter(PRIMARY).httpUrl(), ConsulToken.of(token), null);
        ReplicateSettings settings = new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(5), 0.5, 100,
                Duration.ofSeconds(1), Duration.ofSeconds(1));
        return new Replicator(new Replicator.ReplicateConfig(destination, List.of(SourceSpec.parse(SOURCE, (ConsulToken) null)),
                settings, Duration.ofSeconds(3), Duration.ofMillis(500))).start();
    }

    private static Optional<String> status() {
        return consul.datacenter(PRIMARY).get("/v1/kv/replicate/status/" + SOURCE + "?raw");
    }

    @Test
    void withItsRoleTokenItReplicatesAndARefusedTokenNeverEmptiesTheReplica() {
        ConsulAgent primary = consul.datacenter(PRIMARY);
        ConsulAgent source = consul.datacenter(SOURCE);
        for (AclPolicies.PolicySpec policy : AclPolicies.roles(PRIMARY)) {
            primary.createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
        String hostId = "host-0b6a9a52-4f7e-4d55-9d7e-3f7f3c1a0001";
        source.put("/v1/agent/service/register", """
                {"ID": "%1$s", "Name": "%1$s", "Tags": ["host"], "Check": {"TTL": "60s", "Status": "passing"}}"""
                .formatted(hostId)).orElseThrow();
        source.put("/v1/kv/manifest/hosts/" + hostId, "{\"id\":\"" + hostId + "\"}").orElseThrow();

        try (Replicator allowed = replicator(primary.createToken(AclPolicies.policyNames(AclPolicies.Role.REPLICATE)))) {
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    primary.get("/v1/kv/replica/" + SOURCE + "/services/" + hostId + "?raw")
                            .filter(doc -> doc.contains("\"status\":\"passing\"") && doc.contains("\"kind\":\"host\"")).isPresent()
                    && primary.get("/v1/kv/replica/" + SOURCE + "/kv/manifest/hosts/" + hostId).isPresent());
            await().atMost(Duration.ofSeconds(10)).until(() -> status().filter(s -> s.contains("\"state\":\"ok\"")).isPresent());
        }

        // Records but not services: list answers about hosts would come back silently empty.
        primary.createPolicy("test-records-only", "key_prefix \"manifest/\" { policy = \"read\" }", List.of());
        try (Replicator narrowed = replicator(primary.createToken(List.of("test-records-only", AclPolicies.REPLICATE_WRITE)))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> status()
                    .filter(s -> s.contains("\"state\":\"unreachable\"") && s.contains("permission denied")).isPresent());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
                    primary.get("/v1/kv/replica/" + SOURCE + "/services/" + hostId).isPresent());
        }
        try (Replicator again = replicator(primary.createToken(AclPolicies.policyNames(AclPolicies.Role.REPLICATE)))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> status().filter(s -> s.contains("\"state\":\"ok\"")).isPresent());
        }

        // Only the write half: every read at the source is a 403.
        try (Replicator refused = replicator(primary.createToken(List.of(AclPolicies.REPLICATE_WRITE)))) {
            await().atMost(Duration.ofSeconds(20)).until(() -> status()
                    .filter(s -> s.contains("\"state\":\"unreachable\"") && s.contains("permission denied")).isPresent());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4)).until(() ->
                    primary.get("/v1/kv/replica/" + SOURCE + "/services/" + hostId).isPresent()
                    && primary.get("/v1/kv/replica/" + SOURCE + "/kv/manifest/hosts/" + hostId).isPresent());
        }
    }
}
