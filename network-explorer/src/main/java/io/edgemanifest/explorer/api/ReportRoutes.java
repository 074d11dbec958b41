package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.ReportRow;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Availability against target per kind and datacenter. 24 h comes from the column the ingesting
 * Explorer refreshes every minute; 7/30/90 d are computed in one pass over the events and kept
 * for {@link #REUSE}, so a page reloaded by many admins costs one pass a minute, not one each.
 */
final class ReportRoutes {

    static final Duration REUSE = Duration.ofSeconds(60);
    static final List<String> COLUMNS = List.of("kind", "datacenter", "devices", "observed", "mean", "belowTarget", "target");

    private record Computed(Instant from, Instant to, List<ReportRow> rows) {
    }

    private final NodeJson json;
    private final Map<String, Computed> computed = new ConcurrentHashMap<>();

    ReportRoutes(NodeJson json) {
        this.json = json;
    }

    void register(Javalin app) {
        app.get("/api/report/availability", this::report);
        app.get("/api/report/availability.csv", this::csv);
    }

    private Computed compute(String range) {
        Instant now = json.clock().instant();
        Computed last = computed.get(range);
        if (last != null && !last.to().plus(REUSE).isBefore(now) && !last.to().isAfter(now)) {
            return last;
        }
        Instant from = now.minus(Params.RANGES.get(range));
        // Two requests at once may both compute; both answers are right, and the cost is bounded.
        Computed next = new Computed(from, now, json.store().availabilityReport(from, now, "24h".equals(range)));
        if (!"24h".equals(range)) {
            computed.put(range, next);
        }
        return next;
    }

    private void report(Context ctx) {
        String range = Params.range(ctx, "24h");
        Computed c = compute(range);
        List<Map<String, Object>> rows = new ArrayList<>();
        for (ReportRow r : c.rows()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", r.kind());
            m.put("datacenter", r.datacenter());
            m.put("devices", r.devices());
            m.put("observed", r.observed());
            m.put("mean", r.mean());
            m.put("belowTarget", r.belowTarget());
            m.put("target", json.target(r.kind()));
            rows.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("range", range);
        body.put("from", c.from());
        body.put("to", c.to());
        body.put("rows", rows);
        ctx.json(body);
    }

    private void csv(Context ctx) throws IOException {
        String range = Params.range(ctx, "24h");
        Computed c = compute(range);
        ctx.contentType("text/csv; charset=utf-8");
        ctx.header("Content-Disposition", "attachment; filename=\"availability-" + range + ".csv\"");
        Writer out = new BufferedWriter(new OutputStreamWriter(ctx.res().getOutputStream(), StandardCharsets.UTF_8));
        Csv.row(out, COLUMNS);
        for (ReportRow r : c.rows()) {
            Csv.row(out, java.util.Arrays.asList(r.kind(), r.datacenter(), r.devices(), r.observed(), r.mean(), r.belowTarget(),
                    json.target(r.kind())));
        }
        out.flush();
    }
}
