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
     * What {@link #revokeHost} did. {@code tombstoned}: the host's policy stands with empty rules.
     * {@code failures} names what is left undone (e.g. a token Consul would not delete, a datacenter
     * that did not answer): the operator must run the revocation again, which picks up from there.
     */
    public record Revocation(String hostId, boolean tombstoned, List<String> deletedTokens,
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

    /** Where a host ID stands in the ACL system, which every datacenter shares. */
    public enum HostStanding {
        /** No policy {@code edge-host-<id>}: the ID was never enrolled anywhere. */
        NONE,
        /** Its policy grants the host's rights. */
        ENROLLED,
        /** Its policy is the tombstone (empty rules): revoked, and refused for good in every datacenter. */
        REVOKED
    }

    /**
     * A host's standing and the accessor IDs of every token carrying its policy, oldest first (by
     * Consul's CreateIndex), as the ACL datacenter holds them.
     */
    public record HostCredentials(HostStanding standing, List<String> tokensOldestFirst) {
        public HostCredentials {
            tokensOldestFirst = List.copyOf(tokensOldestFirst);
        }
    }

    /** Enrolment found the host's policy already there: enrolled through some Stargate, or revoked. */
    public static final class HostTakenException extends IllegalStateException {
        private static final long serialVersionUID = 1L;
        private final HostStanding standing;

        HostTakenException(String hostId, HostStanding standing) {
            super("host " + hostId + (standing == HostStanding.REVOKED ? " was revoked" : " is already enrolled"));
            this.standing = standing;
        }

        public HostStanding standing() {
            return standing;
        }
    }

    /**
     * The rules of a revoked host's policy. The policy is kept, emptied, rather than deleted: every
     * token still carrying it (one minted by a rotation racing the revocation included) loses all
     * rights in one write, and its name keeps the ID from enrolling again in every datacenter,
     * present and future — a record in one datacenter's KV cannot do that.
     */
    static final String TOMBSTONE_RULES = "";

    private record ExistingPolicy(String id, String description, String rules, List<String> datacenters) {
        boolean tombstone() {
            return rules.isBlank();
        }
    }

    private final ConsulEndpoint endpoint;
    private final Consul consul;
    private final boolean ownsClient;
    private final ConsulHttp http;
    /** The datacenter holding the ACL system ("" for the one we talk to); null until asked. */
    private volatile String aclDatacenter;

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

    /** The policy named {@code name}, if any, as the datacenter we talk to has it. */
    private Optional<ExistingPolicy> readPolicy(String name) {
        return readPolicy(name, null);
    }

    /**
     * The policy named {@code name} in {@code datacenter} (null: the one we talk to), if any (Consul
     * 1.8 answers 403 "ACL not found" for none).
     */
    private Optional<ExistingPolicy> readPolicy(String name, String datacenter) {
        ConsulHttp.Response response = http.get(inDatacenter("/v1/acl/policy/name/" + encode(name), datacenter));
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
     * Gives a host its credential: creates its policy {@code edge-host-<id>} (valid in
     * {@code stargateDatacenters} only) and a global token with it — global, because a host may
     * migrate to another Stargate's datacenter, and a local token sent there is treated as anonymous.
     * Create-only: a policy of that name means the ID is enrolled (through another Stargate) or
     * revoked, and updating it would hand a revoked ID its rights back.
     *
     * @throws HostTakenException when the host's policy exists already
     */
    public IssuedToken enrolHost(String hostId, List<String> stargateDatacenters) {
        return enrolHost(hostId, stargateDatacenters, "");
    }

    /** As {@link #enrolHost(String, List)}, sessions allowed only on nodes named {@code sessionNodePrefix…}. */
    public IssuedToken enrolHost(String hostId, List<String> stargateDatacenters, String sessionNodePrefix) {
        PolicySpec spec = AclPolicies.host(hostId, stargateDatacenters, sessionNodePrefix);
        try {
            acl().createPolicy(ImmutablePolicy.builder().name(spec.name()).description(spec.description())
                    .rules(spec.rules()).datacenters(spec.datacenters()).build());
            log.info("ACL policy {} created", spec.name());
        } catch (ConsulException e) {
            // Consul refuses a second policy of one name (checked when the write is applied, so two
            // racing creates cannot both win); anything else is a failure of its own.
            HostStanding standing = hostStanding(hostId);
            if (standing != HostStanding.NONE) {
                throw new HostTakenException(hostId, standing);
            }
            throw e;
        }
        try {
            return createToken("Edge Manifest host " + hostId, List.of(spec.name()), false);
        } catch (RuntimeException e) {
            // A policy without a token would make the host's retry look like an enrolled ID.
            try {
                deletePolicyIfUnused(spec.name());
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Another token for an enrolled host (rotation); refused unless its policy exists and is no tombstone. */
    public IssuedToken issueHostToken(String hostId) {
        requireHostId(hostId);
        HostStanding standing = hostStanding(hostId);
        if (standing != HostStanding.ENROLLED) {
            throw new IllegalStateException("host " + hostId + " has no policy to carry a token: "
                    + (standing == HostStanding.REVOKED ? "revoked" : "not enrolled"));
        }
        return createToken("Edge Manifest host " + hostId + " (rotated)", List.of(AclPolicies.hostPolicyName(hostId)), false);
    }

    /**
     * Deletes the host policy named {@code name} if no token carries it (undoing a half-done
     * enrolment, so the host can try again) and it is no tombstone (those are kept for good); returns
     * whether it was deleted.
     */
    public boolean deletePolicyIfUnused(String name) {
        Optional<ExistingPolicy> policy = readPolicy(name, aclDatacenter());
        if (policy.isEmpty() || policy.get().tombstone() || !tokensOf(policy.get().id()).isEmpty()) {
            return false;
        }
        acl().deletePolicy(policy.get().id());
        log.info("ACL policy {} deleted (no token carries it)", name);
        return true;
    }

    /** Whether {@code hostId} was ever given a credential (its policy exists, tombstones included): the ID is taken. */
    public boolean hostEnrolled(String hostId) {
        return hostStanding(hostId) != HostStanding.NONE;
    }

    /** Where {@code hostId} stands, read from the ACL datacenter. */
    public HostStanding hostStanding(String hostId) {
        requireHostId(hostId);
        return readPolicy(AclPolicies.hostPolicyName(hostId), aclDatacenter())
                .map(p -> p.tombstone() ? HostStanding.REVOKED : HostStanding.ENROLLED)
                .orElse(HostStanding.NONE);
    }

    /**
     * The host's standing and its tokens, oldest first, read from the ACL datacenter itself: a
     * secondary answers token lists from its replica, ~0.1 s behind, and the checks that rely on this
     * (the per-host token cap, revocation catching a token minted a moment ago) need every token
     * created so far.
     */
    public HostCredentials hostCredentials(String hostId) {
        requireHostId(hostId);
        String datacenter = aclDatacenter();
        Optional<ExistingPolicy> policy = readPolicy(AclPolicies.hostPolicyName(hostId), datacenter);
        if (policy.isEmpty()) {
            return new HostCredentials(HostStanding.NONE, List.of());
        }
        return new HostCredentials(policy.get().tombstone() ? HostStanding.REVOKED : HostStanding.ENROLLED,
                tokensOf(policy.get().id()));
    }

    /** Accessor IDs of the tokens carrying the policy with this ID, oldest first, from the ACL datacenter. */
    private List<String> tokensOf(String policyId) {
        JsonNode tokens = requireOk(http.get(inDatacenter("/v1/acl/tokens?policy=" + encode(policyId), aclDatacenter())),
                "list the tokens of ACL policy " + policyId);
        List<JsonNode> sorted = new ArrayList<>();
        tokens.forEach(sorted::add);
        sorted.sort(java.util.Comparator.comparingLong(t -> t.path("CreateIndex").asLong()));
        return sorted.stream().map(t -> t.path("AccessorID").asText()).toList();
    }

    /**
     * Turns the host's policy into its tombstone: empty rules, no datacenter restriction, kept for
     * good. Creates it if the host has none (an ID revoked before it enrolled, or mid-enrolment: that
     * enrolment's create-only policy write then fails). Returns whether anything changed.
     */
    public boolean tombstoneHost(String hostId) {
        requireHostId(hostId);
        String name = AclPolicies.hostPolicyName(hostId);
        ImmutablePolicy.Builder tombstone = ImmutablePolicy.builder()
                .name(name)
                .description("Edge Manifest host " + hostId + ", revoked: no rights, keeps the ID from enrolling again")
                .rules(TOMBSTONE_RULES);
        // Two rounds: an enrolment may create the policy between our read and our create.
        for (int attempt = 0; ; attempt++) {
            Optional<ExistingPolicy> existing = readPolicy(name, aclDatacenter());
            try {
                if (existing.isEmpty()) {
                    acl().createPolicy(tombstone.build());
                } else if (existing.get().tombstone()) {
                    return false;
                } else {
                    // No Datacenters in the update clears them: the tombstone grants nothing anywhere.
                    acl().updatePolicy(existing.get().id(), tombstone.id(existing.get().id()).build());
                }
                log.info("ACL policy {} emptied: host {} revoked", name, hostId);
                return true;
            } catch (ConsulException e) {
                if (attempt > 0 || existing.isPresent()) {
                    throw e;
                }
            }
        }
    }

    /**
     * Bans a host, in the order that leaves it no window: (1) its policy becomes the tombstone
     * (empty rules), so every token carrying it — including one a rotation mints while we work —
     * loses all rights at once; (2) every token carrying it is deleted (listed in the ACL datacenter,
     * so a token minted a moment ago is seen); (3) its service is removed from the catalog of every
     * datacenter on every node it is registered on ({@code PUT /v1/catalog/deregister}: the agent can
     * no longer do it with a deleted token, and without this the service stays there, passing, with
     * its session and key — a zombie). The emptied policy is kept. Goes on past a step that fails
     * and names what is left in {@link Revocation#failures()}; running it again finishes the job.
     * (Callers record the revocation in their own state first: {@code stargate host revoke}.)
     */
    public Revocation revokeHost(String hostId) {
        requireHostId(hostId);
        List<String> failures = new ArrayList<>();
        boolean tombstoned = false;
        try {
            tombstoneHost(hostId);
            tombstoned = true;
        } catch (RuntimeException e) {
            failures.add("policy " + AclPolicies.hostPolicyName(hostId) + " not emptied: " + oneLine(e));
        }
        List<String> deleted = new ArrayList<>();
        try {
            for (String accessor : hostCredentials(hostId).tokensOldestFirst()) {
                try {
                    deleteToken(accessor);
                    deleted.add(accessor);
                } catch (RuntimeException e) {
                    failures.add("token " + accessor + " not deleted: " + oneLine(e));
                }
            }
        } catch (RuntimeException e) {
            failures.add("tokens not listed: " + oneLine(e));
        }
        List<String> deregistered = new ArrayList<>();
        for (String datacenter : consul.catalogClient().getDatacenters()) {
            try {
                deregistered.addAll(deregister(hostId, datacenter));
            } catch (RuntimeException e) {
                failures.add("datacenter " + datacenter + " not cleaned: " + oneLine(e));
            }
        }
        if (tombstoned) {
            // An enrolment undoing itself checks "no tombstone" and then deletes its policy: should
            // our emptying have landed in between, the tombstone is gone. Cheap to make sure.
            try {
                if (hostStanding(hostId) != HostStanding.REVOKED) {
                    tombstoneHost(hostId);
                }
            } catch (RuntimeException e) {
                tombstoned = false;
                failures.add("policy " + AclPolicies.hostPolicyName(hostId) + " not confirmed empty: " + oneLine(e));
            }
        }
        Revocation revocation = new Revocation(hostId, tombstoned, deleted, deregistered, failures);
        log.info("host {} revoked: policy emptied {}, {} token(s) deleted, deregistered from {}, failures {}",
                hostId, tombstoned, deleted.size(), deregistered, failures);
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

    /**
     * The datacenter holding the ACL system, from {@code /v1/acl/replication} (which needs no
     * rights): a secondary names its source there; the primary, or a Consul without replication,
     * answers for itself (null).
     */
    private String aclDatacenter() {
        String known = aclDatacenter;
        if (known == null) {
            JsonNode status = requireOk(http.get("/v1/acl/replication"), "read the ACL replication status");
            known = status.path("Enabled").asBoolean(false) ? status.path("SourceDatacenter").asText("") : "";
            aclDatacenter = known;
        }
        return known.isEmpty() ? null : known;
    }

    private static String inDatacenter(String pathAndQuery, String datacenter) {
        if (datacenter == null) {
            return pathAndQuery;
        }
        return pathAndQuery + (pathAndQuery.contains("?") ? "&" : "?") + "dc=" + encode(datacenter);
    }

    private static String oneLine(Throwable e) {
        return String.valueOf(e.getMessage()).replaceAll("\\s+", " ").strip();
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
