package io.edgemanifest.gateway.drain;

import io.edgemanifest.core.node.NodeRecords;
import java.util.Collection;
import java.util.Objects;

/** Counts the host records ({@code manifest/hosts/<id>} values) that name a gateway as theirs. */
public final class AttachedHosts {

    private AttachedHosts() {
    }

    /**
     * @param records the JSON values under {@code manifest/hosts/}; anything that is not a node record
     *                (or names no gateway) does not count
     */
    public static long naming(String gatewayId, Collection<String> records) {
        Objects.requireNonNull(gatewayId, "gatewayId");
        return records.stream()
                .map(NodeRecords::fromJson)
                .filter(r -> r.isPresent() && gatewayId.equals(r.get().gateway()))
                .count();
    }
}
