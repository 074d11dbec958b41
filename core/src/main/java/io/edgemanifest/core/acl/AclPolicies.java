package io.edgemanifest.core.acl;

import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import java.util.List;
import java.util.Objects;

/**
 * What each role may do in Consul (1.8 ACL rules, default deny everywhere): the trust model of
 * docs/security.md as code. One place, so {@code stargate acl init}, enrolment and the tests grant
 * exactly the same rights.
 *
 * <p>Consul 1.8 grants service rights per service <em>name</em> and session rights per agent
 * <em>node</em>: hosts get a service name each ({@code host-<uuid>}) so no host can deregister,
 * fail or forge another; sessions cannot be isolated per host (any host may destroy another's
 * session on a shared agent — that deletes its record but cannot forge it, and liveness comes from
 * the check, which is isolated).
 */
public final class AclPolicies {

    /** The long-lived roles an operator issues tokens for (hosts get theirs by enrolling). */
    public enum Role {
        STARGATE, GATEWAY, REPLICATE, EXPLORER;

        public String cliName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Role parse(String text) {
            for (Role role : values()) {
                if (role.cliName().equals(text)) {
                    return role;
                }
            }
            throw new IllegalArgumentException("invalid role '" + text + "' (stargate, gateway, replicate or explorer)");
        }
    }

    /** Consul's policy: a name, HCL rules, and where it applies (empty: every datacenter). */
    public record PolicySpec(String name, String description, String rules, List<String> datacenters) {
        public PolicySpec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(rules, "rules");
            datacenters = datacenters == null ? List.of() : List.copyOf(datacenters);
        }
    }

    public static final String STARGATE = "edge-stargate";
    public static final String GATEWAY = "edge-gateway";
    public static final String REPLICATE_READ = "edge-replicate-read";
    public static final String REPLICATE_WRITE = "edge-replicate-write";
    public static final String EXPLORER = "edge-explorer";
    public static final String HOST_PREFIX = "edge-host-";
    /** KV only stargates touch: join tokens and enrolled hosts. */
    public static final String ENROL_PREFIX = "enrol/";

    private AclPolicies() {
    }

    /**
     * Every role policy. {@code primary} is the Explorer's datacenter (it holds the ACL system):
     * replicate writes and the Explorer reads only there.
     */
    public static List<PolicySpec> roles(String primary) {
        requireDatacenter(primary);
        return List.of(
                new PolicySpec(STARGATE, "Edge Manifest stargate: its presence, status reads, host enrolment and revocation", """
                        service "stargate" { policy = "write" }
                        service_prefix "" { policy = "read" }
                        node_prefix "" { policy = "read" }
                        agent_prefix "" { policy = "read" }
                        session_prefix "" { policy = "write" }
                        key_prefix "manifest/stargates/" { policy = "write" }
                        key_prefix "enrol/" { policy = "write" }
                        # Revocation deregisters a banned host from the catalog (deleting its token
                        # alone leaves a passing zombie).
                        service_prefix "host-" { policy = "write" }
                        # Minting host tokens: all of ACL management. Whoever holds this token holds
                        # the network; keep it on the Stargate machine only (docs/security.md).
                        acl = "write"
                        """, List.of()),
                new PolicySpec(GATEWAY, "Edge Manifest gateway: its presence; reads host records to drain", """
                        service "gateway" { policy = "write" }
                        node_prefix "" { policy = "read" }
                        session_prefix "" { policy = "write" }
                        key_prefix "manifest/gateways/" { policy = "write" }
                        # Draining before a redeploy: waits until no host record names this gateway.
                        key_prefix "manifest/hosts/" { policy = "read" }
                        """, List.of()),
                new PolicySpec(REPLICATE_READ, "Edge Manifest replicate: reads every Stargate datacenter", """
                        key_prefix "manifest/" { policy = "read" }
                        service_prefix "" { policy = "read" }
                        node_prefix "" { policy = "read" }
                        """, List.of()),
                new PolicySpec(REPLICATE_WRITE, "Edge Manifest replicate: writes the replica, only in the Explorer's datacenter", """
                        key_prefix "replica/" { policy = "write" }
                        key_prefix "replicate/" { policy = "write" }
                        service "replicate" { policy = "write" }
                        session_prefix "" { policy = "write" }
                        """, List.of(primary)),
                new PolicySpec(EXPLORER, "Edge Manifest Network Explorer: reads the replica; holds its ingest lock", """
                        key_prefix "replica/" { policy = "read" }
                        key_prefix "replicate/status/" { policy = "read" }
                        # network-explorer --ha: several Explorers, one ingests while it holds the lock
                        # explorer/lock, through a session bound to its own service's TTL check.
                        service "network-explorer" { policy = "write" }
                        session_prefix "" { policy = "write" }
                        key_prefix "explorer/" { policy = "write" }
                        """, List.of(primary)));
    }

    /** The policies a role's token carries. */
    public static List<String> policyNames(Role role) {
        return switch (role) {
            case STARGATE -> List.of(STARGATE);
            case GATEWAY -> List.of(GATEWAY);
            case REPLICATE -> List.of(REPLICATE_READ, REPLICATE_WRITE);
            case EXPLORER -> List.of(EXPLORER);
        };
    }

    /**
     * One host's policy: its own service name (so its own check), its own key, sessions on the
     * agents it uses, and reading nodes and the gateways it attaches to — in the Stargate
     * datacenters only.
     */
    public static PolicySpec host(String hostId, List<String> stargateDatacenters) {
        return host(hostId, stargateDatacenters, "");
    }

    /**
     * @param sessionNodePrefix the Consul nodes (agents) whose sessions the host may write: its own
     *                          session lives on the agent it uses, and 1.8 grants sessions per node,
     *                          so whatever this covers, the host could also destroy others' sessions
     *                          there. "" = every node; production gives hosts their own agents,
     *                          named under one prefix, so no host reaches a gateway's or stargate's.
     */
    public static PolicySpec host(String hostId, List<String> stargateDatacenters, String sessionNodePrefix) {
        if (!NodeIdentity.isValid(hostId, NodeKind.HOST)) {
            throw new IllegalArgumentException("invalid host ID '" + hostId + "'");
        }
        stargateDatacenters.forEach(AclPolicies::requireDatacenter);
        requireNodePrefix(sessionNodePrefix);
        return new PolicySpec(hostPolicyName(hostId), "Edge Manifest host " + hostId, """
                service "%1$s" { policy = "write" }
                service "gateway" { policy = "read" }
                node_prefix "" { policy = "read" }
                session_prefix "%3$s" { policy = "write" }
                key "%2$s" { policy = "write" }
                """.formatted(hostId, NodeKind.HOST.keyOf(hostId), sessionNodePrefix), stargateDatacenters);
    }

    /** A Consul node name prefix: letters, digits, '-', '_' and '.', or empty for every node. */
    public static String requireNodePrefix(String prefix) {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]{0,64}")) {
            throw new IllegalArgumentException("invalid --host-session-nodes '" + prefix
                    + "' (a node name prefix: letters, digits, '.', '-', '_')");
        }
        return prefix;
    }

    public static String hostPolicyName(String hostId) {
        return HOST_PREFIX + hostId;
    }

    private static void requireDatacenter(String name) {
        if (name == null || !name.matches("[a-zA-Z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("invalid datacenter name '" + name + "'");
        }
    }
}
