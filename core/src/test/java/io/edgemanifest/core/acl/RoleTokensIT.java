package io.edgemanifest.core.acl;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each role's token, with the rules of {@link AclPolicies#roles}, refused outside its scope. */
class RoleTokensIT {

    private static final String PRIMARY = "roles-explorer";
    private static final String SG = "roles-sg";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY, SG);

    private static final Map<AclPolicies.Role, String> tokens = new HashMap<>();

    @BeforeAll
    static void tokensPerRole() {
        ConsulAgent primary = consul.datacenter(PRIMARY);
        for (AclPolicies.PolicySpec policy : AclPolicies.roles(PRIMARY)) {
            primary.createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
        for (AclPolicies.Role role : AclPolicies.Role.values()) {
            tokens.put(role, primary.createToken(AclPolicies.policyNames(role)));
        }
        consul.datacenter(SG).put("/v1/kv/manifest/hosts/host-x", "{}").orElseThrow();
        primary.put("/v1/kv/replica/roles-sg/kv/manifest/hosts/host-x", "{}").orElseThrow();
    }

    private static AclHttp in(String dc, AclPolicies.Role role) {
        return new AclHttp(consul.datacenter(dc).httpUrl(), tokens.get(role));
    }

    @Test
    void theExplorersTokenReadsTheReplicaAndWritesOnlyItsIngestLock() {
        AclHttp explorer = in(PRIMARY, AclPolicies.Role.EXPLORER);
        assertThat(explorer.get("/v1/kv/replica/?recurse")).isEqualTo(200);
        assertThat(explorer.get("/v1/kv/replicate/status/?recurse")).isIn(200, 404);
        assertThat(explorer.put("/v1/kv/replica/roles-sg/kv/manifest/hosts/host-x", "{}")).isEqualTo(403);
        assertThat(explorer.put("/v1/kv/replicate/status/roles-sg", "{}")).isEqualTo(403);
        assertThat(explorer.put("/v1/agent/service/register", "{\"Name\": \"explorer\"}")).isEqualTo(403);
        assertThat(explorer.put("/v1/kv/explorer/lock", "{}")).isEqualTo(200); // --ha: its ingest lock
        assertThat(in(SG, AclPolicies.Role.EXPLORER).put("/v1/kv/explorer/lock", "{}")).isIn(403, 404);
        assertThat(in(SG, AclPolicies.Role.EXPLORER).get("/v1/kv/manifest/?recurse")).isIn(403, 404);
    }

    @Test
    void replicatesTokenReadsManifestEverywhereButWritesOnlyTheReplicaInThePrimary() {
        AclHttp atSource = in(SG, AclPolicies.Role.REPLICATE);
        AclHttp atDestination = in(PRIMARY, AclPolicies.Role.REPLICATE);
        assertThat(atSource.get("/v1/kv/manifest/?recurse")).isEqualTo(200);
        assertThat(atSource.put("/v1/kv/manifest/hosts/host-x", "{}")).isEqualTo(403);
        assertThat(atSource.status("DELETE", "/v1/kv/manifest/?recurse", null)).isEqualTo(403);
        assertThat(atSource.put("/v1/kv/replica/roles-sg/x", "{}")).isEqualTo(403);
        assertThat(atDestination.put("/v1/kv/replica/roles-sg/kv/manifest/hosts/host-y", "{}")).isEqualTo(200);
        assertThat(atDestination.put("/v1/kv/replicate/status/roles-sg", "{}")).isEqualTo(200);
        assertThat(atDestination.put("/v1/kv/manifest/hosts/host-x", "{}")).isEqualTo(403);
        assertThat(atSource.get("/v1/health/state/any")).isEqualTo(200);
    }

    @Test
    void aGatewaysTokenTouchesOnlyGateways() {
        AclHttp gateway = in(SG, AclPolicies.Role.GATEWAY);
        assertThat(gateway.put("/v1/kv/manifest/gateways/gateway-1", "{}")).isEqualTo(200);
        assertThat(gateway.put("/v1/kv/manifest/hosts/host-x", "{}")).isEqualTo(403);
        // Draining: it waits until no host record names it, so it reads them (and only them).
        assertThat(gateway.get("/v1/kv/manifest/hosts/?recurse")).isEqualTo(200);
        assertThat(gateway.put("/v1/kv/manifest/stargates/stargate-1", "{}")).isEqualTo(403);
        assertThat(gateway.put("/v1/agent/service/register", "{\"ID\": \"stargate-f\", \"Name\": \"stargate\"}")).isEqualTo(403);
        assertThat(gateway.put("/v1/kv/enrol/join-tokens/x", "{}")).isEqualTo(403);
        assertThat(gateway.put("/v1/acl/token", "{}")).isEqualTo(403);
    }

    @Test
    void aStargatesTokenMayEnrolButNotWriteHostsRecords() {
        AclHttp stargate = in(SG, AclPolicies.Role.STARGATE);
        assertThat(stargate.put("/v1/kv/enrol/join-tokens/x", "{}")).isEqualTo(200);
        assertThat(stargate.put("/v1/kv/manifest/hosts/host-x", "{}")).isEqualTo(403);
        assertThat(stargate.put("/v1/kv/manifest/gateways/gateway-1", "{}")).isEqualTo(403);
        assertThat(stargate.get("/v1/agent/self")).isEqualTo(200);
    }
}
