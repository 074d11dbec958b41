package io.edgemanifest.explorer.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.EventType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Pure logic: given what the store knows about a device and what the replica says now in every
 * datacenter, the change (if any) to record. No I/O, so every transition is unit-tested.
 *
 * <p>Rules: online = record + passing service in some datacenter. A device whose datacenter is
 * unreachable is UNKNOWN, never OFFLINE (a vanished Stargate must not flip its devices to offline).
 * A datacenter not yet read since start says nothing either way.
 */
final class DeviceStateMachine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DeviceStateMachine() {
    }

    static Optional<Change> next(String id, Device known, Collection<ReplicaView> views, Instant now) {
        return next(id, known, views, now, java.time.Duration.ZERO);
    }

    /**
     * @param recordGrace how long a device whose check still passes may miss its record before it
     *                    is OFFLINE (its session was destroyed from outside; the host rewrites it)
     */
    static Optional<Change> next(String id, Device known, Collection<ReplicaView> views, Instant now,
                                 java.time.Duration recordGrace) {
        return next(id, known, views, now, recordGrace, ReplicaIngest.DEFAULT_AGENT_DOWN_GRACE);
    }

    /**
     * @param agentDownGrace how long a device whose agent died ({@code agent-down} in the replica) is
     *                       UNKNOWN before it is OFFLINE: it is not seen failing, only no longer seen
     */
    static Optional<Change> next(String id, Device known, Collection<ReplicaView> views, Instant now,
                                 java.time.Duration recordGrace, java.time.Duration agentDownGrace) {
        ReplicaView onlineIn = null;
        for (ReplicaView view : views) {
            if (view.ready() && !view.unreachable && view.online(id)) {
                if (onlineIn == null || (known != null && view.datacenter.equals(known.datacenter()))) {
                    onlineIn = view; // prefer staying where we were during a migration overlap
                }
            }
        }
        if (onlineIn != null) {
            ReplicaView.RecordEntry entry = onlineIn.record(id).orElseThrow();
            Device device = fromRecord(id, entry, onlineIn.datacenter, known, now);
            if (known == null) {
                return Optional.of(new Change(device, EventType.ONLINE, now, "first seen in " + onlineIn.datacenter));
            }
            if (known.status() != DeviceStatus.ONLINE) {
                if (!onlineIn.datacenter.equals(known.datacenter())) {
                    return Optional.of(new Change(device, EventType.MIGRATED, now,
                            known.datacenter() + " -> " + onlineIn.datacenter));
                }
                return Optional.of(new Change(device, EventType.ONLINE, now, null));
            }
            if (!onlineIn.datacenter.equals(known.datacenter())) {
                return Optional.of(new Change(device, EventType.MIGRATED, now, known.datacenter() + " -> " + onlineIn.datacenter));
            }
            if (!Objects.equals(known.recordJson(), device.recordJson()) || !Objects.equals(known.parseError(), device.parseError())) {
                return Optional.of(new Change(device, EventType.UPDATED, now, describeUpdate(known, device)));
            }
            return Optional.empty();
        }
        if (known == null || known.status() == DeviceStatus.OFFLINE) {
            return Optional.empty();
        }
        ReplicaView home = views.stream().filter(v -> v.datacenter.equals(known.datacenter())).findFirst().orElse(null);
        if (home != null && home.unreachable) {
            if (known.status() == DeviceStatus.UNKNOWN) {
                return Optional.empty();
            }
            return Optional.of(new Change(withStatus(known, DeviceStatus.UNKNOWN, now), EventType.UNKNOWN, now,
                    known.datacenter() + " unreachable"));
        }
        if (home == null || !home.ready()) {
            return Optional.empty(); // not read yet since start: no verdict
        }
        if (home.syncing) {
            return Optional.empty(); // replicate has not finished reading it (again): absence proves nothing yet
        }
        if (home.agentDown(id)) {
            Instant since = home.agentDownSince.getOrDefault(id, now);
            if (now.isBefore(since.plus(agentDownGrace))) {
                return known.status() == DeviceStatus.UNKNOWN ? Optional.empty()
                        : Optional.of(new Change(withStatus(known, DeviceStatus.UNKNOWN, now), EventType.UNKNOWN, now,
                                "its Consul agent is down"));
            }
            return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now,
                    "its Consul agent down for " + agentDownGrace.toSeconds() + " s and not seen elsewhere"));
        }
        if (home.recordMissing(id)) { // ONLINE or UNKNOWN (e.g. back from agent-down, its record being rewritten)
            Instant since = home.recordMissingSince.getOrDefault(id, now);
            if (now.isBefore(since.plus(recordGrace))) {
                return Optional.empty(); // its check passes: record missing, not OFFLINE (yet)
            }
            return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now,
                    "record missing for " + recordGrace.toSeconds() + " s while its check passed"));
        }
        return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now, null));
    }

    static Device fromRecord(String id, ReplicaView.RecordEntry entry, String datacenter, Device known, Instant now) {
        String error = null;
        String gateway = null;
        String city = null;
        String country = null;
        Map<String, String> labels = new LinkedHashMap<>();
        try {
            JsonNode node = JSON.readTree(entry.json());
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            gateway = text(node.get("gateway"));
            JsonNode location = node.get("location");
            if (location != null && location.isObject()) {
                city = text(location.get("city"));
                country = text(location.get("country"));
            }
            JsonNode l = node.get("labels");
            if (l != null && l.isObject()) {
                l.fields().forEachRemaining(f -> labels.put(f.getKey(), f.getValue().asText()));
            }
        } catch (Exception e) {
            error = "unreadable record: " + e.getMessage().lines().findFirst().orElse("");
        }
        Instant firstSeen = known == null ? now : known.firstSeen();
        Instant since = known != null && known.status() == DeviceStatus.ONLINE ? known.statusSince() : now;
        return new Device(id, entry.kind(), datacenter, DeviceStatus.ONLINE, firstSeen, now, since,
                error == null ? entry.json() : null, error, gateway, city, country, labels);
    }

    private static Device withStatus(Device d, DeviceStatus status, Instant now) {
        return new Device(d.id(), d.kind(), d.datacenter(), status, d.firstSeen(),
                d.status() == DeviceStatus.ONLINE ? now : d.lastSeen(), now, d.recordJson(), d.parseError(),
                d.gateway(), d.city(), d.country(), d.labels());
    }

    private static String describeUpdate(Device before, Device after) {
        List<String> parts = new ArrayList<>();
        if (!Objects.equals(before.gateway(), after.gateway())) {
            parts.add("gateway " + before.gateway() + " -> " + after.gateway());
        }
        if (!Objects.equals(before.city(), after.city()) || !Objects.equals(before.country(), after.country())) {
            parts.add("location " + before.city() + "," + before.country() + " -> " + after.city() + "," + after.country());
        }
        if (after.parseError() != null) {
            parts.add(after.parseError());
        }
        return parts.isEmpty() ? "record changed" : String.join("; ", parts);
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
