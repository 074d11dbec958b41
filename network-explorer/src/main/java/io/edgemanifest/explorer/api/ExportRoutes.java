package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.Event;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * CSV exports: every device matching the list's filters, streamed page by page (keyset, 1,000 at a
 * time, no total and no cap: memory stays constant at any number of devices), and one device's
 * events over a time range.
 */
final class ExportRoutes {

    static final List<String> NODE_COLUMNS = List.of("id", "kind", "status", "datacenter", "gateway", "city", "country",
            "lat", "lon", "firstSeen", "lastSeen", "statusSince", "availability24h", "belowTarget");
    static final List<String> EVENT_COLUMNS = List.of("seq", "deviceId", "type", "at", "datacenter", "detail");
    private static final int PAGE = 1000;

    private final NodeJson json;

    ExportRoutes(NodeJson json) {
        this.json = json;
    }

    void register(Javalin app) {
        app.get("/api/nodes.csv", this::nodes);
        app.get("/api/nodes/{id}/events.csv", this::events);
    }

    private void nodes(Context ctx) throws IOException {
        if (ctx.queryParam("limit") != null || ctx.queryParam("cursor") != null) {
            throw new ApiError(400, "invalid parameter '" + (ctx.queryParam("limit") != null ? "limit" : "cursor")
                    + "': the CSV has every matching device, unpaged");
        }
        DeviceQuery query = Params.deviceQuery(ctx, PAGE, null); // every 400 before the first byte
        start(ctx, "nodes.csv");
        Writer out = writer(ctx);
        Csv.row(out, NODE_COLUMNS);
        try {
            json.store().scan(query, (devices, availability) -> {
                try {
                    for (Map<String, Object> node : json.nodes(devices, availability)) {
                        List<Object> row = new ArrayList<>(NODE_COLUMNS.size());
                        NODE_COLUMNS.forEach(c -> row.add(node.get(c)));
                        Csv.row(out, row);
                    }
                    out.flush(); // a page at a time to the client: nothing accumulates here
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            return; // the client went away mid-download: nothing to answer
        }
        out.flush();
    }

    private void events(Context ctx) throws IOException {
        String id = ctx.pathParam("id");
        Device d = json.store().find(id).orElseThrow(() -> new ApiError(404, "no device '" + id + "'"));
        Instant now = json.clock().instant();
        Instant to = Params.instant(ctx, "to", now);
        Instant from = Params.instant(ctx, "from", to.minus(Duration.ofDays(30)));
        if (!from.isBefore(to)) {
            throw ApiError.badParameter("from", from.toString(), "before 'to' (" + to + ")");
        }
        List<Event> events = json.store().eventsBetween(d.id(), from, to);
        start(ctx, d.id() + "-events.csv");
        Writer out = writer(ctx);
        Csv.row(out, EVENT_COLUMNS);
        for (Event e : events) {
            Csv.row(out, List.of(e.seq(), e.deviceId(), e.type().name(), e.at(), nullToEmpty(e.datacenter()),
                    nullToEmpty(e.detail())));
        }
        out.flush();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    private static void start(Context ctx, String filename) {
        ctx.contentType("text/csv; charset=utf-8");
        // The name is a device ID (a restricted pattern) or fixed: nothing to escape.
        ctx.header("Content-Disposition", "attachment; filename=\"" + filename + "\"");
    }

    private static Writer writer(Context ctx) throws IOException {
        return new BufferedWriter(new OutputStreamWriter(ctx.res().getOutputStream(), StandardCharsets.UTF_8), 64 * 1024);
    }
}
