package io.edgemanifest.core.node;

/** The three kinds of machine in the network; their names are part of the Consul contract. */
public enum NodeKind {
    HOST, GATEWAY, STARGATE;

    /** Consul service name: {@code host}, {@code gateway}, {@code stargate}. */
    public String serviceName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The Consul service name of one node of this kind. Hosts each have their own name (their ID):
     * Consul 1.8 ACLs are per service name, so a shared {@code host} name would let any host
     * deregister, fail or forge another. Gateways and stargates share their kind's name.
     */
    public String serviceNameOf(String nodeId) {
        return this == HOST ? nodeId : serviceName();
    }

    /** The tag every service of this kind carries: how hosts are found now that each has its own name. */
    public String tag() {
        return serviceName();
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
