package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.Event;
import io.edgemanifest.explorer.store.GatewayHosts;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The network as a whole: datacenters with their problems, a datacenter's gateways, events, the overview. */
final class NetworkRoutes {

    private final NodeJson json;

    NetworkRoutes(NodeJson json) {
        this.json = json;
    }

    void register(Javalin app) {
        app.get("/api/datacenters", ctx -> ctx.json(Map.of("items", datacenters())));
        app.get("/api/datacenters/{dc}/gateways", this::gateways);
        app.get("/api/events", this::events);
        app.get("/api/overview", this::overview);
    }

    /** Every datacenter with a device or a replicate status, by name. */
    List<Map<String, Object>> datacenters() {
        Map<String, Map<String, Map<DeviceStatus, Long>>> counts = json.store().counts();
        Map<String, Object> status = json.datacenterStatus().get();
        TreeSet<String> names = new TreeSet<>(counts.keySet());
        names.addAll(status.keySet());
        List<Map<String, Object>> items = new ArrayList<>();
        for (String dc : names) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("datacenter", dc);
            Map<String, Map<String, Long>> byKind = new LinkedHashMap<>();
            counts.getOrDefault(dc, Map.of()).forEach((kind, byStatus) -> byKind.put(kind, NodeJson.byStatus(byStatus)));
            m.put("devices", byKind);
            m.put("replicate", status.get(dc));
            m.put("problem", problem(status.get(dc)));
            items.add(m);
        }
        return items;
    }

    /**
     * {@code silent}: ingest heard no replicate beat for --replicate-silence (replicate itself is
     * gone); {@code unreachable}: replicate says it cannot read the datacenter; else null.
     */
    static String problem(Object replicate) {
        if (!(replicate instanceof Map<?, ?> r)) {
            return null;
        }
        if (Boolean.TRUE.equals(r.get("silent"))) {
            return "silent";
        }
        if ("unreachable".equals(r.get("state")) || Boolean.FALSE.equals(r.get("reachable"))) {
            return "unreachable";
        }
        return null;
    }

    private void gateways(Context ctx) {
        List<Map<String, Object>> items = new ArrayList<>();
        for (GatewayHosts g : json.store().gateways(ctx.pathParam("dc"))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", g.id());
            m.put("status", NodeJson.status(g.status()));
            m.put("hosts", NodeJson.byStatus(g.hosts()));
            items.add(m);
        }
        ctx.json(Map.of("items", items));
    }

    private void events(Context ctx) {
        Long since = Params.optionalLong(ctx, "since", 0, Long.MAX_VALUE);
        int limit = Params.integer(ctx, "limit", 50, 1, 1000);
        List<Event> events = since == null ? json.store().latestEvents(limit) : json.store().eventsAfter(since, limit);
        List<Map<String, Object>> items = events.stream().map(json::event).toList();
        long lastSeq = since == null ? json.store().lastSeq()
                : events.isEmpty() ? since : events.get(events.size() - 1).seq();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("lastSeq", lastSeq);
        ctx.json(body);
    }

    private void overview(Context ctx) {
        var worst = json.store().list(new DeviceQuery(null, null, null, null, true, "availability", 20, null),
                json.clock().instant());
        Map<String, Object> below = new LinkedHashMap<>();
        below.put("total", worst.total());
        below.put("totalIsLowerBound", worst.totalIsLowerBound());
        below.put("items", json.nodes(worst.items()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("datacenters", datacenters());
        body.put("belowTarget", below);
        body.put("latest", json.store().latestEvents(20).stream().map(json::event).toList());
        body.put("targets", new java.util.TreeMap<>(json.targets()));
        ctx.json(body);
    }
}
