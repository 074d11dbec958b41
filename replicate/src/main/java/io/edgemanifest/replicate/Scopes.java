package io.edgemanifest.replicate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import io.edgemanifest.core.consul.ConsulEndpoint;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.model.health.ServiceHealth;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.ConsistencyMode;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.kiwiproject.consul.option.QueryOptions;

/** The kinds of {@link Scope}: a KV prefix, the instances of one service, and every host. */
final class Scopes {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Scopes() {
    }

    /**
     * A single-key read of {@code key} at the source: 404 (or a value) when the token may read it,
     * 403 (thrown as a ConsulException) when it may not — list answers would be silently filtered.
     */
    static void probeRead(Consul source, Optional<String> viaDc, String key) {
        source.keyValueClient().getValue(key, options(BigInteger.ZERO, Duration.ZERO, false, viaDc));
    }

    /**
     * Whether the token may read services and nodes at the source. List answers are filtered
     * silently, but a discovery chain needs service read (403 without) and a node's coordinate needs
     * node read (403 without; 404 for a node that does not exist) — measured on 1.8.7.
     */
    static void probeCatalogRead(ConsulEndpoint reach, Optional<String> viaDc, String service) {
        String dc = viaDc.map(d -> "?dc=" + d).orElse("");
        for (String path : new String[] {"/v1/discovery-chain/" + service + dc, "/v1/coordinate/node/edge-access-probe" + dc}) {
            int status = io.edgemanifest.core.consul.RawConsul.getStatus(reach, path, Duration.ofSeconds(10));
            if (status == 403 || status == 401) {
                throw new org.kiwiproject.consul.ConsulException("Consul request to [GET " + path + "] failed with status ["
                        + status + "]: Permission denied (the token may not read the source's services and nodes)");
            }
        }
    }

    /**
     * Nodes that may still re-sync services ({@code /v1/health/node/<node>}): alive (serfHealth
     * passing) or not in the catalog at all — right after a reset the new leader lists a client
     * agent only once it has rejoined the servers (10–20 s measured), and an alive node's services
     * come back one by one (each host registers again when it finds its session gone; the agent's
     * own full sync may take minutes), so neither absence nor a node with some services back says
     * that a given service is gone. A node whose serfHealth is critical is not awaiting anything:
     * its agent is down. Asked only within {@code --resync-hold} of a reset (or of a source coming back).
     */
    static java.util.Set<String> awaitingResync(Consul source, Optional<String> viaDc, java.util.Collection<String> nodes) {
        java.util.Set<String> waiting = new java.util.HashSet<>();
        for (String node : nodes) {
            List<HealthCheck> checks = source.healthClient().getNodeChecks(node,
                    options(BigInteger.ZERO, Duration.ZERO, false, viaDc)).getResponse();
            if (checks == null || checks.isEmpty()) {
                waiting.add(node); // not (yet) in the catalog
                continue;
            }
            boolean alive = checks.stream().anyMatch(c -> "serfHealth".equals(c.getCheckId()) && "passing".equals(c.getStatus()));
            if (alive) {
                waiting.add(node);
            }
        }
        return waiting;
    }

    static QueryOptions options(BigInteger index, Duration wait, boolean consistent, Optional<String> viaDc) {
        ImmutableQueryOptions.Builder builder = index.signum() > 0
                ? QueryOptions.blockSeconds((int) Math.max(1, wait.toSeconds()), index)
                : ImmutableQueryOptions.builder();
        viaDc.ifPresent(builder::datacenter);
        // Not consistent means ?stale: any server answers, with or without a leader, so an election
        // is not an outage; how stale an answer is shows in X-Consul-LastContact (checked by the caller).
        builder.consistencyMode(consistent ? ConsistencyMode.CONSISTENT : ConsistencyMode.STALE);
        return builder.build();
    }

    /** Replicates {@code <prefix>...} to {@code replica/<dc>/kv/<prefix>...}, minus excluded prefixes. */
    record Kv(Consul source, Optional<String> viaDc, String datacenter, String prefix, List<String> excludes)
            implements Scope {

        @Override
        public String name() {
            return "kv:" + prefix;
        }

        @Override
        public void checkAccess() {
            probeRead(source, viaDc, prefix);
        }

        @Override
        public String destinationPrefix() {
            return "replica/" + datacenter + "/kv/" + prefix;
        }

        @Override
        public Snapshot fetch(BigInteger index, Duration wait, boolean consistent) {
            ConsulResponse<List<Value>> response = source.keyValueClient()
                    .getConsulResponseWithValues(prefix, options(index, wait, consistent, viaDc));
            Map<String, Entry> entries = new LinkedHashMap<>();
            List<Value> values = response.getResponse() == null ? List.of() : response.getResponse();
            for (Value value : values) {
                String key = value.getKey();
                if (key == null || !key.startsWith(prefix) || excludes.stream().anyMatch(key::startsWith)) {
                    continue;
                }
                entries.put("replica/" + datacenter + "/kv/" + key,
                        new Entry(value.getValue().orElse(""), value.getFlags()));
            }
            return new Snapshot(entries, indexOf(response), response.getLastContact());
        }
    }

    /**
     * Replicates every instance of a service, healthy or not, to
     * {@code replica/<dc>/services/<service-id>} as JSON with the aggregated check status.
     */
    record Service(Consul source, ConsulEndpoint reach, Optional<String> viaDc, String datacenter, String service)
            implements Scope {

        @Override
        public String name() {
            return "service:" + service;
        }

        @Override
        public void checkAccess() {
            probeCatalogRead(reach, viaDc, service);
        }

        @Override
        public String destinationPrefix() {
            return "replica/" + datacenter + "/services/";
        }

        @Override
        public Snapshot fetch(BigInteger index, Duration wait, boolean consistent) {
            ConsulResponse<List<ServiceHealth>> response = source.healthClient()
                    .getAllServiceInstances(service, options(index, wait, consistent, viaDc));
            List<ServiceHealth> instances = response.getResponse() == null ? List.of() : response.getResponse();
            List<ServiceHealth> addressable = instances.stream().filter(health -> {
                String id = health.getService().getId();
                return id != null && !id.isBlank() && !id.contains("/"); // not addressable as one key: never ours
            }).toList();
            // The same ID on two agents (a node that fell back to another agent of its datacenter
            // leaves its old instance behind, critical until Consul reaps it — up to 72 h): the best
            // instance speaks for the node, never whichever the answer happened to list last.
            Map<String, ServiceHealth> best = bestPerId(addressable, health -> health.getService().getId(),
                    health -> aggregate(health.getChecks()));
            Map<String, Entry> entries = new LinkedHashMap<>();
            best.forEach((id, health) -> entries.put(destinationPrefix() + id, new Entry(encode(health), 0)));
            return new Snapshot(entries, indexOf(response), response.getLastContact());
        }

        @Override
        public boolean owns(String key, Entry entry) {
            return key.startsWith(destinationPrefix()) && docField(entry, "service").filter(service::equals).isPresent();
        }

        @Override
        public java.util.Set<String> awaitingResync(java.util.Collection<String> nodes) {
            return Scopes.awaitingResync(source, viaDc, nodes);
        }

        private String encode(ServiceHealth health) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("service", health.getService().getService());
            doc.put("id", health.getService().getId());
            doc.put("datacenter", datacenter);
            doc.put("node", health.getNode().getNode());
            doc.put("address", health.getService().getAddress());
            doc.put("port", health.getService().getPort());
            doc.put("tags", health.getService().getTags());
            doc.put("meta", health.getService().getMeta());
            String status = aggregate(health.getChecks());
            doc.put("status", status);
            if ("critical".equals(status) && health.getChecks().stream().filter(c -> rank(c.getStatus()) >= rank("critical"))
                    .allMatch(c -> c.getOutput().orElse("").isBlank())) {
                // Critical only because Consul has not probed its check since it was registered (a gRPC
                // check is born critical): after a reset that is a node registering again, not failing.
                doc.put("unprobed", true);
            }
            return encodeDoc(doc, health.getService().getId());
        }

        /** Consul's own rule: the worst check wins. */
        static String aggregate(List<HealthCheck> checks) {
            String status = "passing";
            for (HealthCheck check : checks) {
                status = worse(status, check.getStatus());
            }
            return status;
        }
    }

    /**
     * Replicates every host to {@code replica/<dc>/services/<host-id>}. Hosts each have their own
     * service name (Consul 1.8 ACLs are per name), so they are found by their {@code host} tag
     * through {@code /v1/health/state/any} — one blocking query for all of them — together with
     * the nodes' {@code serfHealth}: a host whose agent died keeps a "passing" TTL check in the
     * catalog (nobody is left to expire it) while its node's serfHealth turns critical.
     */
    record Hosts(Consul source, ConsulEndpoint reach, Optional<String> viaDc, String datacenter) implements Scope {

        static final String TAG = "host";
        private static final String FILTER = "ServiceTags contains \"" + TAG + "\" or CheckID == \"serfHealth\"";

        @Override
        public String name() {
            return "hosts";
        }

        @Override
        public void checkAccess() {
            // Every host has a name of its own: read on a host-shaped name stands for all of them.
            probeCatalogRead(reach, viaDc, "host-00000000-0000-0000-0000-000000000000");
        }

        @Override
        public String destinationPrefix() {
            return "replica/" + datacenter + "/services/";
        }

        @Override
        public Snapshot fetch(BigInteger index, Duration wait, boolean consistent) {
            QueryOptions base = options(index, wait, consistent, viaDc);
            QueryOptions options = ImmutableQueryOptions.copyOf(base).withFilter(FILTER);
            ConsulResponse<List<HealthCheck>> response = source.healthClient()
                    .getChecksByState(org.kiwiproject.consul.model.State.ANY, options);
            List<HealthCheck> checks = response.getResponse() == null ? List.of() : response.getResponse();
            Map<String, String> nodeHealth = new java.util.HashMap<>();
            for (HealthCheck check : checks) {
                if (check.getServiceId().orElse("").isEmpty()) {
                    nodeHealth.merge(check.getNode(), check.getStatus(), Scopes::worse);
                }
            }
            // (node, service ID) → worst status of that instance's own checks and its node's.
            Map<String, Map<String, Object>> instances = new LinkedHashMap<>();
            for (HealthCheck check : checks) {
                String id = check.getServiceId().orElse("");
                if (id.isEmpty() || id.contains("/") || !check.getServiceTags().contains(TAG)) {
                    continue;
                }
                if (!id.equals(check.getServiceName().orElse(""))) {
                    // A host's service name is its ID: another name with this ID is a host squatting
                    // someone else's ID (its Stargate revokes it), never the host itself.
                    continue;
                }
                Map<String, Object> doc = instances.computeIfAbsent(check.getNode() + "\u0000" + id, k -> {
                    Map<String, Object> d = new LinkedHashMap<>();
                    d.put("service", check.getServiceName().orElse(id));
                    d.put("id", id);
                    d.put("kind", TAG);
                    d.put("datacenter", datacenter);
                    d.put("node", check.getNode());
                    d.put("tags", check.getServiceTags());
                    d.put("status", "passing"); // the instance's own checks; its node's health is folded in below
                    return d;
                });
                doc.put("status", worse((String) doc.get("status"), check.getStatus()));
            }
            // A host does not run on its agent's machine: the agent's death (serfHealth critical)
            // leaves the host's own check as it was, neither passing nor failed — nobody checks it any
            // more. Unless its own check already failed, it is AGENT_DOWN (the Explorer's UNKNOWN,
            // OFFLINE if it does not turn up passing on another agent in time), never critical.
            for (Map<String, Object> doc : instances.values()) {
                String node = nodeHealth.getOrDefault((String) doc.get("node"), "passing");
                if (rank(node) >= rank("critical") && rank((String) doc.get("status")) < rank("critical")) {
                    doc.put("status", AGENT_DOWN);
                } else {
                    doc.put("status", worse((String) doc.get("status"), node));
                }
            }
            // The same ID on two agents (a host that fell back to another agent leaves its old
            // instance behind until Consul reaps it): the best instance speaks for the host.
            Map<String, Map<String, Object>> best = bestPerId(instances.values(), doc -> (String) doc.get("id"),
                    doc -> (String) doc.get("status"));
            Map<String, Entry> entries = new LinkedHashMap<>();
            best.forEach((id, doc) -> entries.put(destinationPrefix() + id, new Entry(encodeDoc(doc, id), 0)));
            return new Snapshot(entries, indexOf(response), response.getLastContact());
        }

        @Override
        public boolean owns(String key, Entry entry) {
            return key.startsWith(destinationPrefix()) && docField(entry, "kind").filter(TAG::equals).isPresent();
        }

        @Override
        public java.util.Set<String> awaitingResync(java.util.Collection<String> nodes) {
            return Scopes.awaitingResync(source, viaDc, nodes);
        }

    }

    /**
     * One instance per ID: the one with the best status ({@link #rank}); on a tie the first listed
     * stays, so the choice does not flap between equal instances from one answer to the next.
     */
    static <T> Map<String, T> bestPerId(java.util.Collection<T> instances, java.util.function.Function<T, String> id,
                                         java.util.function.Function<T, String> status) {
        Map<String, T> best = new LinkedHashMap<>();
        for (T instance : instances) {
            best.merge(id.apply(instance), instance, (kept, other) ->
                    rank(status.apply(other)) < rank(status.apply(kept)) ? other : kept);
        }
        return best;
    }

    /**
     * The status of a host instance whose own check has not failed but whose agent's node is
     * critical: unknown, ranked between warning and critical, so a passing instance of the same host
     * on another agent speaks for it.
     */
    static final String AGENT_DOWN = "agent-down";

    private static final String[] STATUSES = {"passing", "warning", AGENT_DOWN, "critical"};

    /** Consul's rule, the worst check wins: passing < warning < agent-down < critical (maintenance, or anything else, counts as critical). */
    static String worse(String a, String b) {
        return STATUSES[Math.max(rank(a), rank(b))];
    }

    static int rank(String status) {
        return switch (status == null ? "critical" : status) {
            case "passing" -> 0;
            case "warning" -> 1;
            case AGENT_DOWN -> 2;
            default -> 3;
        };
    }

    /** Whether a service document says its check has not been probed since it was registered. */
    static boolean unprobed(Entry entry) {
        return entry != null && docField(entry, "unprobed").filter("true"::equals).isPresent();
    }

    /** The source node of a service document we wrote; empty for a KV entry or anything else. */
    static Optional<String> docNode(Entry entry) {
        return entry == null ? Optional.empty() : docField(entry, "node");
    }

    /** A field of a document this scope wrote at the destination; empty for anything else (not ours: left alone). */
    private static Optional<String> docField(Entry entry, String field) {
        try {
            return Optional.ofNullable(JSON.readTree(Base64.getDecoder().decode(entry.base64Value())).path(field).asText(null));
        } catch (java.io.IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String encodeDoc(Map<String, Object> doc, String id) {
        try {
            return Base64.getEncoder().encodeToString(JSON.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode service " + id, e);
        }
    }

    private static BigInteger indexOf(ConsulResponse<?> response) {
        return response.getIndex() == null ? BigInteger.ZERO : response.getIndex();
    }
}
