package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.Event;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the API's routes share: the store, the clock, the targets and replicate's status, and the
 * one way a {@code Node} and an {@code Event} are written (list, CSV and live stream alike).
 */
record NodeJson(DeviceStore store, Clock clock, Map<String, Double> targets, Supplier<Map<String, Object>> datacenterStatus) {

    /** The contract's {@code Node}, in its field order (the CSV's columns come from it). */
    Map<String, Object> node(Device d, Double availability24h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("kind", d.kind());
        m.put("datacenter", d.datacenter());
        m.put("status", status(d.status()));
        m.put("firstSeen", d.firstSeen());
        m.put("lastSeen", d.status() == DeviceStatus.ONLINE ? clock.instant() : d.lastSeen());
        m.put("statusSince", d.statusSince());
        m.put("gateway", d.gateway());
        m.put("city", d.city());
        m.put("country", d.country());
        m.put("lat", d.lat());
        m.put("lon", d.lon());
        m.put("labels", d.labels());
        m.put("parseError", d.parseError());
        m.put("availability24h", availability24h);
        m.put("belowTarget", availability24h != null && availability24h < target(d.kind()));
        return m;
    }

    /** Nodes of these devices, their refreshed availability read in one query. */
    List<Map<String, Object>> nodes(List<Device> devices) {
        Map<String, Double> availability = store.availability24h(devices.stream().map(Device::id).toList());
        return nodes(devices, availability);
    }

    List<Map<String, Object>> nodes(List<Device> devices, Map<String, Double> availability) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (Device d : devices) {
            items.add(node(d, availability.get(d.id())));
        }
        return items;
    }

    Map<String, Object> event(Event e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", e.seq());
        m.put("deviceId", e.deviceId());
        m.put("kind", e.kind());
        m.put("type", e.type().name());
        m.put("at", e.at());
        m.put("datacenter", e.datacenter());
        m.put("detail", e.detail());
        return m;
    }

    /** The {@code /api/summary} body (also the live stream's {@code counts}). */
    Map<String, Object> summary() {
        Map<String, Map<String, Long>> byKind = new java.util.TreeMap<>();
        long total = 0;
        for (var dc : store.counts().values()) {
            for (var kind : dc.entrySet()) {
                for (var st : kind.getValue().entrySet()) {
                    byKind.computeIfAbsent(kind.getKey(), k -> new LinkedHashMap<>()).merge(status(st.getKey()), st.getValue(), Long::sum);
                    total += st.getValue();
                }
            }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("devices", total);
        body.put("byKind", byKind);
        body.put("events", store.eventCount());
        body.put("datacenters", datacenterStatus.get().size());
        return body;
    }

    double target(String kind) {
        return targets.getOrDefault(kind, 0.0);
    }

    static String status(DeviceStatus status) {
        return status.name().toLowerCase(Locale.ROOT);
    }

    static Map<String, Long> byStatus(Map<DeviceStatus, Long> counts) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DeviceStatus st : DeviceStatus.values()) {
            m.put(status(st), counts.getOrDefault(st, 0L));
        }
        return m;
    }
}
