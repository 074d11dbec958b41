package io.edgemanifest.core.node;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The JSON document a node publishes at {@code manifest/<kind>s/<id>}. {@code schema} versions the
 * format; readers ignore fields they do not know, so adding one is not a breaking change.
 *
 * @param gateway       for a host: the ID of the gateway it is attached to, or null
 * @param attachedHosts for a gateway: how many passing hosts name it as their gateway
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record NodeRecord(
        int schema,
        String id,
        NodeKind kind,
        String datacenter,
        String version,
        Instant startedAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) String address,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer port,
        String gateway,
        @JsonInclude(JsonInclude.Include.NON_NULL) Location location,
        Hardware hardware,
        Map<String, String> labels,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer attachedHosts) {

    public static final int SCHEMA = 1;

    public NodeRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        if (!NodeIdentity.isValid(id, kind)) {
            throw new IllegalArgumentException("'" + id + "' is not a valid " + kind.serviceName() + " ID");
        }
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** A fresh record of schema {@link #SCHEMA}, without datacenter (the presence fills it in). */
    public static NodeRecord of(String id, NodeKind kind, String version) {
        return new NodeRecord(SCHEMA, id, kind, null, version, Instant.now(), null, null, null, null,
                Hardware.detect(), Map.of(), null);
    }

    public NodeRecord withDatacenter(String value) {
        return new NodeRecord(schema, id, kind, value, version, startedAt, address, port, gateway, location,
                hardware, labels, attachedHosts);
    }

    public NodeRecord withAdvertised(String host, int grpcPort) {
        return new NodeRecord(schema, id, kind, datacenter, version, startedAt, host, grpcPort, gateway, location,
                hardware, labels, attachedHosts);
    }

    public NodeRecord withGateway(String value) {
        return new NodeRecord(schema, id, kind, datacenter, version, startedAt, address, port, value, location,
                hardware, labels, attachedHosts);
    }

    public NodeRecord withLocation(Location value) {
        return new NodeRecord(schema, id, kind, datacenter, version, startedAt, address, port, gateway, value,
                hardware, labels, attachedHosts);
    }

    public NodeRecord withLabels(Map<String, String> value) {
        return new NodeRecord(schema, id, kind, datacenter, version, startedAt, address, port, gateway, location,
                hardware, value, attachedHosts);
    }

    public NodeRecord withAttachedHosts(Integer value) {
        return new NodeRecord(schema, id, kind, datacenter, version, startedAt, address, port, gateway, location,
                hardware, labels, value);
    }

    /**
     * The service meta Consul carries for this node: {@code kind}, {@code version}, and {@code gateway}
     * for a host attached to one (Consul drops meta entries with empty values, so none is written then).
     */
    public Map<String, String> serviceMeta() {
        java.util.LinkedHashMap<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("kind", kind.serviceName());
        meta.put("version", version == null ? "" : version);
        if (kind == NodeKind.HOST && gateway != null) {
            meta.put("gateway", gateway);
        }
        return meta;
    }
}
