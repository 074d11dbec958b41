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
        return next(id, known, views, now, 0L, java.time.Duration.ZERO);
    }

    /**
     * @param now         the wall-clock time events and timestamps are stamped with
     * @param nowNanos    {@link System#nanoTime()} now: the grace below is an interval, timed by the
     *                    monotonic clock so that a wall-clock step (NTP at boot) cannot end it early
     * @param recordGrace how long a device whose check still passes may miss its record before it
     *                    is OFFLINE (its session was destroyed from outside; the host rewrites it)
     */
    static Optional<Change> next(String id, Device known, Collection<ReplicaView> views, Instant now,
                                 long nowNanos, java.time.Duration recordGrace) {
        return next(id, known, views, now, nowNanos, recordGrace, ReplicaIngest.DEFAULT_AGENT_DOWN_GRACE);
    }

    /**
     * @param agentDownGrace how long a device whose agent died ({@code agent-down} in the replica) is
     *                       UNKNOWN before it is OFFLINE: it is not seen failing, only no longer seen
     */
    static Optional<Change> next(String id, Device known, Collection<ReplicaView> views, Instant now,
                                 long nowNanos, java.time.Duration recordGrace, java.time.Duration agentDownGrace) {
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
            if (meaningfulChange(known, device)) {
                return Optional.of(new Change(device, EventType.UPDATED, now, describeUpdate(known, device)));
            }
            if (!Objects.equals(known.recordJson(), device.recordJson()) || !samePosition(known, device)) {
                // stored, but no event: churn, or a position column filled from an unchanged record
                // (rows stored before V2.2 have none until ingest reads their record again)
                return Optional.of(new Change(device, null, now, null));
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
            long since = home.agentDownSince.getOrDefault(id, nowNanos);
            if (nowNanos - since < agentDownGrace.toNanos()) {
                return known.status() == DeviceStatus.UNKNOWN ? Optional.empty()
                        : Optional.of(new Change(withStatus(known, DeviceStatus.UNKNOWN, now), EventType.UNKNOWN, now,
                                "its Consul agent is down"));
            }
            return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now,
                    "its Consul agent down for " + agentDownGrace.toSeconds() + " s and not seen elsewhere"));
        }
        if (home.recordMissing(id)) { // ONLINE or UNKNOWN (e.g. back from agent-down, its record being rewritten)
            long since = home.recordMissingSince.getOrDefault(id, nowNanos);
            if (nowNanos - since < recordGrace.toNanos()) {
                return Optional.empty(); // its check passes: record missing, not OFFLINE (yet)
            }
            return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now,
                    "record missing for " + recordGrace.toSeconds() + " s while its check passed"));
        }
        return Optional.of(new Change(withStatus(known, DeviceStatus.OFFLINE, now), EventType.OFFLINE, now, null));
    }

    /**
     * The device a record describes, every field checked and bounded ({@link InboundLimits}): a
     * field that breaks a bound is left out and named in {@code parseError}, so one owner's record
     * can neither fail a batch nor hide among the others.
     */
    static Device fromRecord(String id, ReplicaView.RecordEntry entry, String datacenter, Device known, Instant now) {
        List<String> problems = new ArrayList<>();
        String gateway = null;
        String city = null;
        String country = null;
        Double lat = null;
        Double lon = null;
        Map<String, String> labels = new LinkedHashMap<>();
        String json = entry.json();
        boolean readable = false;
        if (entry.problem() != null) {
            problems.add(entry.problem());
        } else {
            try {
                JsonNode node = JSON.readTree(json);
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException("not a JSON object");
                }
                readable = true;
                String gw = text(node.get("gateway"));
                if (gw != null && !InboundLimits.validId(gw)) {
                    problems.add("gateway is not a node ID: " + InboundLimits.forLog(gw));
                } else {
                    gateway = gw;
                }
                JsonNode location = node.get("location");
                if (location != null && location.isObject()) {
                    city = bounded(text(location.get("city")), InboundLimits.MAX_CITY, "location.city", problems);
                    country = bounded(text(location.get("country")), InboundLimits.MAX_COUNTRY, "location.country", problems);
                    JsonNode la = location.get("lat");
                    JsonNode lo = location.get("lon");
                    if (la != null && lo != null && la.isNumber() && lo.isNumber()) {
                        double a = la.asDouble();
                        double o = lo.asDouble();
                        if (a >= -90 && a <= 90 && o >= -180 && o <= 180) {
                            lat = a;
                            lon = o;
                        } else {
                            problems.add("location.lat/lon out of range (left out)");
                        }
                    } else if ((la != null && !la.isNull()) || (lo != null && !lo.isNull())) {
                        problems.add("location.lat/lon not a pair of numbers (left out)");
                    }
                }
                JsonNode l = node.get("labels");
                if (l != null && l.isObject()) {
                    var fields = l.fields();
                    while (fields.hasNext()) {
                        var f = fields.next();
                        if (labels.size() == InboundLimits.MAX_LABELS) {
                            problems.add("more than " + InboundLimits.MAX_LABELS + " labels (the rest left out)");
                            break;
                        }
                        String key = InboundLimits.boundedText(f.getKey(), InboundLimits.MAX_LABEL_KEY);
                        String value = InboundLimits.boundedText(f.getValue().asText(), InboundLimits.MAX_LABEL_VALUE);
                        if (key == null || key.isEmpty() || value == null) {
                            problems.add("label " + InboundLimits.forLog(f.getKey()) + " longer than "
                                    + InboundLimits.MAX_LABEL_KEY + "/" + InboundLimits.MAX_LABEL_VALUE + " characters (left out)");
                        } else {
                            labels.put(key, value);
                        }
                    }
                }
            } catch (Exception e) {
                problems.add("unreadable record: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
            }
        }
        Instant firstSeen = known == null ? now : known.firstSeen();
        Instant since = known != null && known.status() == DeviceStatus.ONLINE ? known.statusSince() : now;
        String error = problems.isEmpty() ? null : InboundLimits.stripControl(String.join("; ", problems));
        return new Device(id, entry.kind(), datacenter, DeviceStatus.ONLINE, firstSeen, now, since,
                readable ? json : null, error, gateway, city, country, labels, lat, lon);
    }

    private static boolean samePosition(Device a, Device b) {
        return Objects.equals(a.lat(), b.lat()) && Objects.equals(a.lon(), b.lon());
    }

    private static String bounded(String text, int max, String field, List<String> problems) {
        String value = InboundLimits.boundedText(text, max);
        if (text != null && value == null) {
            problems.add(field + " longer than " + max + " characters (left out)");
        }
        return value;
    }

    /**
     * Whether a person looking at the device would see a difference: where it is attached
     * (gateway), where it is (location), what it runs (version, hardware), how it is reached
     * (address, port), its labels, and whether its record reads. Timestamps and counters a node
     * rewrites on its own ({@code startedAt}, a gateway's old {@code attachedHosts}, fields we do
     * not know) are stored but make no UPDATED event.
     */
    static boolean meaningfulChange(Device before, Device after) {
        if (!Objects.equals(before.parseError(), after.parseError()) || !Objects.equals(before.gateway(), after.gateway())
                || !Objects.equals(before.city(), after.city()) || !Objects.equals(before.country(), after.country())
                || !Objects.equals(before.labels(), after.labels())) {
            return true;
        }
        if (!samePosition(before, after) && !Objects.equals(before.recordJson(), after.recordJson())) {
            return true; // moved (a column merely filled from the same record is no event)
        }
        return !Objects.equals(meaningful(before.recordJson()), meaningful(after.recordJson()));
    }

    private static final List<String> MEANINGFUL_FIELDS = List.of("version", "address", "port", "hardware", "kind");

    private static Map<String, JsonNode> meaningful(String json) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        if (json == null) {
            return fields;
        }
        try {
            JsonNode node = JSON.readTree(json);
            for (String name : MEANINGFUL_FIELDS) {
                if (node != null && node.has(name)) {
                    fields.put(name, node.get(name));
                }
            }
        } catch (Exception e) {
            fields.put("unreadable", null);
        }
        return fields;
    }

    private static Device withStatus(Device d, DeviceStatus status, Instant now) {
        return new Device(d.id(), d.kind(), d.datacenter(), status, d.firstSeen(),
                d.status() == DeviceStatus.ONLINE ? now : d.lastSeen(), now, d.recordJson(), d.parseError(),
                d.gateway(), d.city(), d.country(), d.labels(), d.lat(), d.lon());
    }

    private static String describeUpdate(Device before, Device after) {
        List<String> parts = new ArrayList<>();
        if (!Objects.equals(before.gateway(), after.gateway())) {
            parts.add("gateway " + before.gateway() + " -> " + after.gateway());
        }
        if (!Objects.equals(before.city(), after.city()) || !Objects.equals(before.country(), after.country())
                || !samePosition(before, after)) {
            parts.add("location " + before.city() + "," + before.country() + " -> " + after.city() + "," + after.country());
        }
        if (!Objects.equals(before.labels(), after.labels())) {
            parts.add("labels changed");
        }
        Map<String, JsonNode> was = meaningful(before.recordJson());
        Map<String, JsonNode> is = meaningful(after.recordJson());
        for (String field : MEANINGFUL_FIELDS) {
            if (!Objects.equals(was.get(field), is.get(field))) {
                parts.add(field + " " + shown(was.get(field)) + " -> " + shown(is.get(field)));
            }
        }
        if (after.parseError() != null) {
            parts.add(after.parseError());
        }
        return parts.isEmpty() ? "record changed" : String.join("; ", parts);
    }

    private static String shown(JsonNode node) {
        if (node == null) {
            return "none";
        }
        String text = node.isValueNode() ? node.asText() : node.toString();
        return InboundLimits.forLog(text);
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }
}
