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

    /**
     * A node record as found in the replica: raw JSON, its kind from the key path, and why it
     * cannot be read at all (too large, not UTF-8), or null.
     */
    record RecordEntry(String kind, String json, String problem) {

        RecordEntry(String kind, String json) {
            this(kind, json, null);
        }
    }

    final String datacenter;
    final Map<String, RecordEntry> records = new HashMap<>();
    final Map<String, String> serviceStatus = new HashMap<>();
    /**
     * Devices whose service passes here while their record is gone, since when. Any host on a
     * shared Consul agent can destroy another's session, deleting its record (Consul 1.8 grants
     * sessions per node): liveness comes from the check, so this is "record missing" for a grace
     * period while the host rewrites it, not OFFLINE. Values are {@link System#nanoTime()}: a grace
     * is an interval, and the wall clock may step.
     */
    final Map<String, Long> recordMissingSince = new HashMap<>();
    /**
     * Devices replicated as {@link #AGENT_DOWN} (their Consul agent died; the device itself may be
     * fine and moving to another agent), since when ({@link System#nanoTime()}): UNKNOWN for a grace
     * period, then OFFLINE.
     */
    final Map<String, Long> agentDownSince = new HashMap<>();
    static final String AGENT_DOWN = "agent-down";

    /** replicate's status says it cannot reach this datacenter. */
    boolean reportedUnreachable;
    /**
     * replicate's status is neither {@code ok} nor {@code unreachable} (e.g. {@code syncing}: not
     * every scope has completed its first read): what is present is true, what is absent may only
     * not be copied yet, so nothing goes OFFLINE for it.
     */
    boolean syncing;
    /** replicate's liveness beat for this datacenter stopped: no instance may be replicating it. */
    boolean stale;
    /** The last beat seen (replicate's own timestamp, compared only for change), and when we saw it. */
    String lastBeat;
    long lastBeatNanos;
    boolean recordsRead;
    boolean servicesRead;
    boolean unreachable;
    /**
     * The beat seen since this ingest started has not changed yet: the replica may be frozen (every
     * replicate dead) for longer than we have been looking, so it says nothing until replicate beats
     * or its silence makes the datacenter unreachable. Without this, a new ingest (restart, HA
     * hand-over) took a frozen replica for live: ONLINE for devices already UNKNOWN, then UNKNOWN again.
     */
    boolean awaitingBeat;

    ReplicaView(String datacenter) {
        this.datacenter = datacenter;
    }

    /** Both halves read at least once: absence now means absence. */
    boolean ready() {
        return recordsRead && servicesRead && !awaitingBeat;
    }

    /** Online here: a record and a passing service. */
    boolean online(String id) {
        return records.containsKey(id) && "passing".equals(serviceStatus.get(id));
    }

    /** Its instance here is on a Consul agent that died: its own state is unknown. */
    boolean agentDown(String id) {
        return AGENT_DOWN.equals(serviceStatus.get(id));
    }

    /** Its service passes here but its record is gone. */
    boolean recordMissing(String id) {
        return !records.containsKey(id) && "passing".equals(serviceStatus.get(id));
    }

    /** Keeps {@link #recordMissingSince} in step with the records and services read so far. */
    void trackMissingRecords(long nowNanos) {
        recordMissingSince.keySet().removeIf(id -> !recordMissing(id));
        serviceStatus.keySet().stream().filter(this::recordMissing)
                .forEach(id -> recordMissingSince.putIfAbsent(id, nowNanos));
        agentDownSince.keySet().removeIf(id -> !agentDown(id));
        serviceStatus.keySet().stream().filter(this::agentDown).forEach(id -> agentDownSince.putIfAbsent(id, nowNanos));
    }

    Optional<RecordEntry> record(String id) {
        return Optional.ofNullable(records.get(id));
    }
}
