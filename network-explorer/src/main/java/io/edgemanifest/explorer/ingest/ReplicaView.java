package io.edgemanifest.explorer.ingest;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the replica says about one source datacenter right now: the node records under
 * {@code replica/<dc>/kv/manifest/<kind>s/<id>}, the service instances under
 * {@code replica/<dc>/services/<id>} with their aggregated status, and whether replicate can reach it.
 */
final class ReplicaView {

    /** A node record as found in the replica: raw JSON, its kind from the key path. */
    record RecordEntry(String kind, String json) {
    }

    final String datacenter;
    final Map<String, RecordEntry> records = new HashMap<>();
    final Map<String, String> serviceStatus = new HashMap<>();
    boolean recordsRead;
    boolean servicesRead;
    boolean unreachable;

    ReplicaView(String datacenter) {
        this.datacenter = datacenter;
    }

    /** Both halves read at least once: absence now means absence. */
    boolean ready() {
        return recordsRead && servicesRead;
    }

    /** Online here: a record and a passing service. */
    boolean online(String id) {
        return records.containsKey(id) && "passing".equals(serviceStatus.get(id));
    }

    Optional<RecordEntry> record(String id) {
        return Optional.ofNullable(records.get(id));
    }
}
