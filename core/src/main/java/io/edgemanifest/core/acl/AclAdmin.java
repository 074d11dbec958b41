package io.edgemanifest.core.acl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclPolicies.PolicySpec;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulErrors;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.kiwiproject.consul.AclClient;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.model.acl.ImmutablePolicy;
import org.kiwiproject.consul.model.acl.ImmutablePolicyLink;
import org.kiwiproject.consul.model.acl.ImmutableToken;
import org.kiwiproject.consul.model.acl.TokenListResponse;
import org.kiwiproject.consul.model.acl.TokenResponse;
import org.kiwiproject.consul.model.catalog.CatalogService;
import org.kiwiproject.consul.model.catalog.ImmutableCatalogDeregistration;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.ImmutableTokenQueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consul ACL administration for Edge Manifest: role policies, role tokens, and the life of a host's
 * credential (enrol, rotate, revoke). Needs a token with {@code acl = "write"} — all of ACL
 * management, effectively root — plus service write on {@code host-*} and read on the catalog for
 * revocation. In a secondary datacenter Consul forwards ACL writes to the primary itself; they fail
 * while the primary is unreachable (existing tokens keep working meanwhile).
 *
 * <p>Never logs a secret: only accessor IDs, which identify a token without granting anything.
 */
public final class AclAdmin implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AclAdmin.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A token just created. {@link #toString()} hides the secret. */
    public record IssuedToken(String accessorId, String secretId) {
        public IssuedToken {
            Objects.requireNonNull(accessorId, "accessorId");
            Objects.requireNonNull(secretId, "secretId");
        }

        @Override
        public String toString() {
            return "IssuedToken[accessorId=" + accessorId + ", secretId=<redacted>]";
        }
    }

    /** What {@link #ensurePolicies} did to one policy. */
    public record PolicyChange(String name, Outcome outcome) {
        public enum Outcome { CREATED, UPDATED, UNCHANGED }
    }

    /** A token Consul resolved: who it is and which policies it carries (never its secret). */
    public record ResolvedToken(String accessorId, List<String> policyNames, boolean local) {
        public ResolvedToken {
            policyNames = List.copyOf(policyNames);
        }
    }

    /**
     * What {@link #revokeHost} removed. {@code failures} names what could not be done (e.g. a
     * datacenter that did not answer): the operator must run the revocation again.
     */
    public record Revocation(String hostId, List<String> deletedTokens, boolean policyDeleted,
                             List<String> deregistered, List<String> failures) {
        public Revocation {
            deletedTokens = List.copyOf(deletedTokens);
            deregistered = List.copyOf(deregistered);
            failures = List.copyOf(failures);
        }

        public boolean complete() {
            return failures.isEmpty();
        }
    }

    private record ExistingPolicy(String id, String description, String rules, List<String> datacenters) {
    }

    private final ConsulEndpoint endpoint;
    private final Consul consul;
    private final boolean ownsClient;
    private final ConsulHttp http;

    /** Administration through {@code endpoint}, with a client of its own (closed by {@link #close()}). */
    public AclAdmin(ConsulEndpoint endpoint) {
        this(endpoint, endpoint.client(), true);
    }

    /** Administration through an existing client of {@code endpoint} (not closed by {@link #close()}). */
    public AclAdmin(ConsulEndpoint endpoint, Consul client) {
        this(endpoint, client, false);
    }

    private AclAdmin(ConsulEndpoint endpoint, Consul client, boolean ownsClient) {
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.consul = Objects.requireNonNull(client, "client");
        this.ownsClient = ownsClient;
        this.http = new ConsulHttp(endpoint);
    }

    private AclClient acl() {
        return consul.aclClient();
    }

    /**
     * Creates each policy that does not exist and updates each whose description, rules or
     * datacenters differ (looked up by name); running it twice changes nothing the second time.
     */
    public List<PolicyChange> ensurePolicies(List<PolicySpec> specs) {
        List<PolicyChange> changes = new ArrayList<>();
        for (PolicySpec spec : specs) {
            changes.add(ensurePolicy(spec));
        }
        return changes;
    }

    private PolicyChange ensurePolicy(PolicySpec spec) {
        ImmutablePolicy.Builder policy = ImmutablePolicy.builder()
                .name(spec.name())
                .description(spec.description() == null ? "" : spec.description())
                .rules(spec.rules());
        if (!spec.datacenters().isEmpty()) {
            policy.datacenters(spec.datacenters());
        }
        Optional<ExistingPolicy> existing = readPolicy(spec.name());
        if (existing.isEmpty()) {
            acl().createPolicy(policy.build());
            log.info("ACL policy {} created", spec.name());
            return new PolicyChange(spec.name(), PolicyChange.Outcome.CREATED);
        }
        ExistingPolicy current = existing.get();
        boolean same = current.rules().equals(spec.rules())
                && Objects.equals(current.description(), spec.description() == null ? "" : spec.description())
                && new HashSet<>(current.datacenters()).equals(new HashSet<>(spec.datacenters()));
        if (same) {
            return new PolicyChange(spec.name(), PolicyChange.Outcome.UNCHANGED);
        }
        // An update with no Datacenters clears them, which is what an unrestricted spec means.
        acl().updatePolicy(current.id(), policy.id(current.id()).build());
        log.info("ACL policy {} updated", spec.name());
        return new PolicyChange(spec.name(), PolicyChange.Outcome.UPDATED);
    }

    /** The policy named {@code name}, if any (Consul 1.8 answers 403 "ACL not found" for none). */
    private Optional<ExistingPolicy> readPolicy(String name) {
        ConsulHttp.Response response = http.get("/v1/acl/policy/name/" + encode(name));
        if (response.status() == 403 && response.body().contains("ACL not found")) {
            return Optional.empty();
        }
        JsonNode json = requireOk(response, "read ACL policy " + name);
        List<String> datacenters = new ArrayList<>();
        json.path("Datacenters").forEach(dc -> datacenters.add(dc.asText()));
        return Optional.of(new ExistingPolicy(json.path("ID").asText(), json.path("Description").asText(""),
                json.path("Rules").asText(""), datacenters));
    }

    /** Whether a policy of that name exists. */
    public boolean policyExists(String name) {
        return readPolicy(name).isPresent();
    }

    /** A token carrying {@code policyNames}; {@code local} tokens stay in the datacenter that created them. */
    public IssuedToken createToken(String description, List<String> policyNames, boolean local) {
        if (policyNames.isEmpty()) {
            throw new IllegalArgumentException("a token needs at least one policy");
        }
        ImmutableToken.Builder token = ImmutableToken.builder().description(description).local(local);
        policyNames.forEach(name -> token.addPolicies(ImmutablePolicyLink.builder().name(name).build()));
        TokenResponse created = acl().createToken(token.build());
        log.info("ACL token {} created ({}, policies {})", created.accessorId(), description, policyNames);
        return new IssuedToken(created.accessorId(), created.secretId());
    }

    /** Deletes the token with this accessor ID; one that is already gone is fine. */
    public void deleteToken(String accessorId) {
        try {
            acl().deleteToken(accessorId);
            log.info("ACL token {} deleted", accessorId);
        } catch (ConsulException e) {
            if (!ConsulErrors.isTokenNotFound(e) && e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Accessor IDs of every token carrying the policy named {@code policyName} (none if there is no such policy). */
    public List<String> tokensWithPolicy(String policyName) {
        Optional<ExistingPolicy> policy = readPolicy(policyName);
        if (policy.isEmpty()) {
            return List.of();
        }
        return acl().listTokens(ImmutableTokenQueryOptions.builder().policy(policy.get().id()).build()).stream()
                .map(TokenListResponse::accessorId)
                .toList();
    }

    /**
     * Gives a host its credential: ensures its policy {@code edge-host-<id>} (valid in
     * {@code stargateDatacenters} only) and creates a global token with it — global, because a host
     * may migrate to another Stargate's datacenter, and a local token sent there is treated as anonymous.
     */
    public IssuedToken enrolHost(String hostId, List<String> stargateDatacenters) {
        PolicySpec policy = AclPolicies.host(hostId, stargateDatacenters);
        ensurePolicies(List.of(policy));
        return createToken("Edge Manifest host " + hostId, List.of(policy.name()), false);
    }

    /** Another token for an enrolled host (rotation); the host's policy must exist. */
    public IssuedToken issueHostToken(String hostId) {
        requireHostId(hostId);
        String policy = AclPolicies.hostPolicyName(hostId);
        if (!policyExists(policy)) {
            throw new IllegalStateException("host " + hostId + " has no policy " + policy + ": not enrolled, or revoked");
        }
        return createToken("Edge Manifest host " + hostId + " (rotated)", List.of(policy), false);
    }

    /**
     * Deletes the policy named {@code name} if no token carries it (undoing a half-done enrolment, so
     * the host can try again); returns whether it was deleted.
     */
    public boolean deletePolicyIfUnused(String name) {
        Optional<ExistingPolicy> policy = readPolicy(name);
        if (policy.isEmpty() || !tokensWithPolicy(name).isEmpty()) {
            return false;
        }
        acl().deletePolicy(policy.get().id());
        log.info("ACL policy {} deleted (no token carries it)", name);
        return true;
    }

    /** Whether {@code hostId} holds a credential (its policy exists): enrolled through any Stargate. */
    public boolean hostEnrolled(String hostId) {
        requireHostId(hostId);
        return policyExists(AclPolicies.hostPolicyName(hostId));
    }

    /**
     * Bans a host: deletes every token carrying its policy, removes its service from the catalog of
     * every datacenter on every node it is registered on ({@code PUT /v1/catalog/deregister}: the
     * agent can no longer do it with a deleted token, and without this the service stays there,
     * passing, with its session and key — a zombie), then deletes its policy. Goes on past a
     * datacenter that fails and reports it; running it again finishes the job.
     */
    public Revocation revokeHost(String hostId) {
        requireHostId(hostId);
        String policyName = AclPolicies.hostPolicyName(hostId);
        List<String> failures = new ArrayList<>();
        List<String> deleted = new ArrayList<>();
        // Tokens first: from then on the host cannot register again while we clean the catalogs.
        for (String accessor : tokensWithPolicy(policyName)) {
            try {
                deleteToken(accessor);
                deleted.add(accessor);
            } catch (RuntimeException e) {
                failures.add("token " + accessor + ": " + e.getMessage());
            }
        }
        List<String> deregistered = new ArrayList<>();
        for (String datacenter : consul.catalogClient().getDatacenters()) {
            try {
                deregistered.addAll(deregister(hostId, datacenter));
            } catch (RuntimeException e) {
                failures.add("datacenter " + datacenter + ": " + e.getMessage());
            }
        }
        boolean policyDeleted = false;
        if (failures.isEmpty()) {
            // Last: while anything failed the policy stays, so a second run still finds the tokens.
            Optional<ExistingPolicy> policy = readPolicy(policyName);
            if (policy.isPresent()) {
                acl().deletePolicy(policy.get().id());
                policyDeleted = true;
                log.info("ACL policy {} deleted", policyName);
            }
        }
        Revocation revocation = new Revocation(hostId, deleted, policyDeleted, deregistered, failures);
        log.info("host {} revoked: {} token(s) deleted, deregistered from {}, policy deleted {}, failures {}",
                hostId, deleted.size(), deregistered, policyDeleted, failures);
        return revocation;
    }

    /** Removes every instance of the host's service in {@code datacenter}; returns {@code dc/node} of each. */
    private List<String> deregister(String hostId, String datacenter) {
        List<String> done = new ArrayList<>();
        List<CatalogService> instances = consul.catalogClient()
                .getService(hostId, ImmutableQueryOptions.builder().datacenter(datacenter).build())
                .getResponse();
        for (CatalogService instance : instances) {
            consul.catalogClient().deregister(ImmutableCatalogDeregistration.builder()
                    .datacenter(datacenter)
                    .node(instance.getNode())
                    .serviceId(instance.getServiceId())
                    .build());
            done.add(datacenter + "/" + instance.getNode());
            log.info("host {} deregistered from node {} in datacenter {}", hostId, instance.getNode(), datacenter);
        }
        return done;
    }

    /**
     * Resolves {@code secret} with Consul ({@code GET /v1/acl/token/self} sent with that token):
     * empty when Consul does not know it. How a Stargate authenticates a host by the token it holds.
     */
    public Optional<ResolvedToken> resolve(String secret) {
        if (secret == null || secret.isBlank()) {
            return Optional.empty();
        }
        ConsulHttp.Response response = http.send("GET", "/v1/acl/token/self", secret);
        if (response.status() == 403 || response.status() == 401) {
            return Optional.empty();
        }
        JsonNode json = requireOk(response, "resolve a token");
        List<String> policies = new ArrayList<>();
        json.path("Policies").forEach(p -> policies.add(p.path("Name").asText()));
        return Optional.of(new ResolvedToken(json.path("AccessorID").asText(), policies, json.path("Local").asBoolean()));
    }

    /**
     * The primary datacenter (which holds the ACL system), from the agent's configuration; needs
     * {@code agent read} on its node.
     */
    public String primaryDatacenter() {
        ConsulHttp.Response response = http.get("/v1/agent/self");
        if (response.status() == 403) {
            throw new IllegalArgumentException("Consul at " + endpoint + " does not let this token read the agent's "
                    + "configuration: give --primary-datacenter");
        }
        JsonNode json = requireOk(response, "read the agent's configuration");
        // Consul 1.8 shows it only in DebugConfig; later versions also in Config.
        String primary = json.path("Config").path("PrimaryDatacenter").asText("");
        if (primary.isEmpty()) {
            primary = json.path("DebugConfig").path("PrimaryDatacenter").asText("");
        }
        if (primary.isEmpty()) {
            throw new IllegalArgumentException("Consul at " + endpoint + " names no primary datacenter: "
                    + "give --primary-datacenter");
        }
        return primary;
    }

    /** Every datacenter Consul knows (WAN) but the primary: where hosts live. */
    public List<String> stargateDatacenters(String primary) {
        return consul.catalogClient().getDatacenters().stream().filter(dc -> !dc.equals(primary)).toList();
    }

    private JsonNode requireOk(ConsulHttp.Response response, String what) {
        if (!response.ok()) {
            String body = response.body().replaceAll("\\s+", " ").strip();
            throw new IllegalStateException("Consul at " + endpoint + " refused to " + what + ": " + response.status()
                    + (body.isEmpty() ? "" : " " + body));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("Consul at " + endpoint + " answered " + what + " with invalid JSON", e);
        }
    }

    private static void requireHostId(String hostId) {
        if (!NodeIdentity.isValid(hostId, NodeKind.HOST)) {
            throw new IllegalArgumentException("invalid host ID '" + hostId + "' (expected host-<uuid>)");
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void close() {
        if (ownsClient) {
            consul.destroy();
        }
    }
}
