package io.edgemanifest.core.node;

/** The three kinds of machine in the network; their names are part of the Consul contract. */
public enum NodeKind {
    HOST, GATEWAY, STARGATE;

    /** Consul service name: {@code host}, {@code gateway}, {@code stargate}. */
    public String serviceName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** KV prefix of this kind's ephemeral documents, e.g. {@code manifest/hosts/}. */
    public String keyPrefix() {
        return "manifest/" + serviceName() + "s/";
    }

    /** The ephemeral KV key of one node. */
    public String keyOf(String nodeId) {
        return keyPrefix() + nodeId;
    }

    public static NodeKind fromServiceName(String name) {
        for (NodeKind kind : values()) {
            if (kind.serviceName().equals(name)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown node kind '" + name + "' (host, gateway or stargate)");
    }
}
