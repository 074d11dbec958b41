package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.StateSpan;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The list's status counts and a device's state timeline. */
final class NodeRoutes {

    private final NodeJson json;

    NodeRoutes(NodeJson json) {
        this.json = json;
    }

    /** Before {@code /api/nodes/{id}}: "counts" is not a device. */
    void register(Javalin app) {
        app.get("/api/nodes/counts", this::counts);
        app.get("/api/nodes/{id}/timeline", this::timeline);
    }

    private void counts(Context ctx) {
        // A status given is checked but ignored: the UI sends its whole filter state, and the
        // counts are what each status would show with the other filters.
        Map<String, Long> byStatus = NodeJson.byStatus(json.store().statusCounts(Params.deviceQuery(ctx, 1, null)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("all", byStatus.values().stream().mapToLong(Long::longValue).sum());
        body.putAll(byStatus);
        ctx.json(body);
    }

    private void timeline(Context ctx) {
        String id = ctx.pathParam("id");
        Device d = json.store().find(id).orElseThrow(() -> new ApiError(404, "no device '" + id + "'"));
        String range = Params.range(ctx, "24h");
        Instant to = json.clock().instant();
        Instant from = to.minus(Params.RANGES.get(range));
        List<Map<String, Object>> segments = new ArrayList<>();
        for (StateSpan s : json.store().timeline(d.id(), from, to)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", s.status());
            m.put("from", s.from());
            m.put("to", s.to());
            segments.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("range", range);
        body.put("from", from);
        body.put("to", to);
        body.put("segments", segments);
        ctx.json(body);
    }
}
