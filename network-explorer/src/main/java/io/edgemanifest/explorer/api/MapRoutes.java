package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.MapGrid;
import io.edgemanifest.explorer.store.MapQuery;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The world map's data: devices aggregated into grid cells by the store, and the lines of a
 * selected device (host → gateway → stargates).
 */
final class MapRoutes {

    static final int MAX_ZOOM = 12;
    /** Cells at zoom 0: 16 across the world (22.5°), each zoom level halves them. */
    static final double BASE_CELLS = 16;
    /**
     * Most grid cells one answer may span (the world at zoom 5 is 513 x 257 counted with its edge
     * rows): a finer zoom needs a bbox, so an answer stays the size of what a screen shows.
     */
    static final double MAX_GRID_CELLS = 140_000;
    static final int MAX_GATEWAY_HOSTS = 500;
    /**
     * How long one aggregation answers the same question: a UI refetches its map when counts move
     * (at most once a second per client), and 50 admins on the world view must cost one GROUP BY
     * over 100,000 rows a second, not 50 (~0.2 s each on H2, BENCHMARKS.md).
     */
    static final long REUSE_NANOS = java.time.Duration.ofSeconds(1).toNanos();
    private static final int MAX_REUSED = 256;

    private record Answer(long at, Map<String, Object> body) {
    }

    private final NodeJson json;
    private final Map<String, Answer> recent = new java.util.concurrent.ConcurrentHashMap<>();

    MapRoutes(NodeJson json) {
        this.json = json;
    }

    void register(Javalin app) {
        app.get("/api/map", this::map);
        app.get("/api/map/links", this::links);
    }

    static double cellDegrees(int zoom) {
        return 360 / (BASE_CELLS * (1L << zoom));
    }

    /** {@code west,south,east,north}; west > east crosses the antimeridian. */
    static double[] bbox(String value) {
        if (value == null) {
            return null;
        }
        String[] parts = value.split(",", -1);
        if (parts.length != 4) {
            throw ApiError.badParameter("bbox", value, "west,south,east,north in degrees");
        }
        double[] b = new double[4];
        try {
            for (int i = 0; i < 4; i++) {
                b[i] = Double.parseDouble(parts[i].strip());
                if (!Double.isFinite(b[i])) {
                    throw new NumberFormatException();
                }
            }
        } catch (NumberFormatException e) {
            throw ApiError.badParameter("bbox", value, "four numbers: west,south,east,north");
        }
        if (b[0] < -180 || b[0] > 180 || b[2] < -180 || b[2] > 180 || b[1] < -90 || b[3] > 90 || b[1] > b[3]) {
            throw ApiError.badParameter("bbox", value, "longitudes within -180..180, latitudes within -90..90, south <= north");
        }
        return b;
    }

    private void map(Context ctx) {
        int zoom = Params.integer(ctx, "zoom", 0, 0, MAX_ZOOM);
        double cell = cellDegrees(zoom);
        double[] bbox = bbox(ctx.queryParam("bbox"));
        double width = bbox == null ? 360 : bbox[0] <= bbox[2] ? bbox[2] - bbox[0] : 360 - (bbox[0] - bbox[2]);
        double height = bbox == null ? 180 : bbox[3] - bbox[1];
        if ((Math.ceil(width / cell) + 1) * (Math.ceil(height / cell) + 1) > MAX_GRID_CELLS) {
            throw ApiError.badParameter(bbox == null ? "zoom" : "bbox", bbox == null ? String.valueOf(zoom) : ctx.queryParam("bbox"),
                    "zoom " + zoom + " over " + (bbox == null ? "the whole world" : "this bbox") + " spans more than "
                            + (long) MAX_GRID_CELLS + " cells: give a smaller bbox");
        }
        String kind = Params.optionalEnum(ctx, "kind", Params.KINDS);
        DeviceStatus status = ctx.queryParam("status") == null ? null : Params.status(ctx.queryParam("status"));
        String datacenter = Params.blankToNull(ctx.queryParam("datacenter"));
        // Every status or position change is an event: a new one makes the question new (MAX(seq) is
        // one primary-key lookup), so a reused answer is at most 1 s old and never behind an event.
        String key = zoom + "|" + java.util.Arrays.toString(bbox) + "|" + kind + "|" + status + "|" + datacenter
                + "|" + json.store().lastSeq();
        long now = System.nanoTime();
        Answer reused = recent.get(key);
        if (reused != null && now - reused.at() < REUSE_NANOS) {
            ctx.json(reused.body());
            return;
        }
        MapGrid grid = json.store().map(new MapQuery(cell, bbox, kind, status, datacenter));
        List<Map<String, Object>> cells = new ArrayList<>();
        long total = 0;
        for (MapGrid.Cell c : grid.cells()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lat", c.lat());
            m.put("lon", c.lon());
            m.put("count", c.count());
            NodeJson.byStatus(c.byStatus()).forEach(m::put);
            m.put("byKind", c.byKind());
            m.put("bbox", List.of(Math.max(-180, c.col() * cell), Math.max(-90, c.row() * cell),
                    Math.min(180, (c.col() + 1) * cell), Math.min(90, (c.row() + 1) * cell)));
            cells.add(m);
            total += c.count();
        }
        Map<String, Object> unlocated = new LinkedHashMap<>();
        Map<String, Long> u = NodeJson.byStatus(grid.unlocated());
        unlocated.put("count", u.values().stream().mapToLong(Long::longValue).sum());
        unlocated.putAll(u);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("zoom", zoom);
        body.put("cellDegrees", cell);
        body.put("total", total);
        body.put("cells", cells);
        body.put("unlocated", unlocated);
        if (recent.size() >= MAX_REUSED) {
            recent.clear(); // many distinct views (panning): reuse is for the same one, keep it small
        }
        recent.put(key, new Answer(now, body));
        ctx.json(body);
    }

    private void links(Context ctx) {
        String id = ctx.queryParam("id");
        if (id == null || id.isBlank()) {
            throw ApiError.badParameter("id", String.valueOf(id), "a device ID");
        }
        Device d = json.store().find(id).orElseThrow(() -> new ApiError(404, "no device '" + id + "'"));
        List<Map<String, Object>> links = new ArrayList<>();
        Device gateway = null;
        if ("host".equals(d.kind()) && d.gateway() != null) {
            gateway = json.store().find(d.gateway()).orElse(null);
            link(links, d, gateway);
        } else if ("gateway".equals(d.kind())) {
            gateway = d;
            for (Device host : json.store().list(new DeviceQuery("host", null, null, null, null, "id", MAX_GATEWAY_HOSTS, null,
                    d.id()), json.clock().instant()).items()) {
                link(links, host, d);
            }
        }
        if (d.datacenter() != null && !"stargate".equals(d.kind())) {
            Device from = gateway != null ? gateway : d;
            for (Device stargate : json.store().list(new DeviceQuery("stargate", from.datacenter(), null, null, null, "id", 50, null),
                    json.clock().instant()).items()) {
                link(links, from, stargate);
            }
        }
        ctx.json(Map.of("links", links));
    }

    /** A line between two devices, left out when either has no position. */
    private static void link(List<Map<String, Object>> links, Device from, Device to) {
        if (from == null || to == null || from.lat() == null || to.lat() == null) {
            return;
        }
        links.add(Map.of("from", end(from), "to", end(to)));
    }

    private static Map<String, Object> end(Device d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("kind", d.kind());
        m.put("lat", d.lat());
        m.put("lon", d.lon());
        return m;
    }
}
