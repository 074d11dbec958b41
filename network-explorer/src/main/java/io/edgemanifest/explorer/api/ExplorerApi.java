package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Availability;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.Event;
import io.edgemanifest.explorer.store.Page;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The Explorer's read-only HTTP API and its web UI (static files from the classpath at {@code /}).
 * Every bad parameter is a 400 naming it; an unknown device is a 404; nothing a caller sends can
 * change stored data.
 */
public final class ExplorerApi implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ExplorerApi.class);

    private final DeviceStore store;
    private final Clock clock;
    private final Map<String, Double> targets;
    private final Supplier<Map<String, Object>> datacenterStatus;
    private final PrometheusMeterRegistry metrics;
    private final Javalin app;
    private final NodeJson json;
    private final LiveStream live;

    /**
     * @param datacenterStatus replicate status per datacenter as ingest last read it (dc -> JSON-able map)
     */
    public ExplorerApi(DeviceStore store, Clock clock, Map<String, Double> targets,
                       Supplier<Map<String, Object>> datacenterStatus, PrometheusMeterRegistry metrics) {
        this(store, clock, targets, datacenterStatus, metrics, () -> { });
    }

    /** @param beforeScrape refreshes gauges that are cheaper to compute at scrape time */
    public ExplorerApi(DeviceStore store, Clock clock, Map<String, Double> targets,
                       Supplier<Map<String, Object>> datacenterStatus, PrometheusMeterRegistry metrics,
                       Runnable beforeScrape) {
        this(store, clock, targets, datacenterStatus, metrics, beforeScrape, io.edgemanifest.explorer.auth.WebConfig.OFF);
    }

    /** @param web login (on with an --auth-file) and where /metrics is served; {@link io.edgemanifest.explorer.auth.WebConfig#OFF}: no login */
    public ExplorerApi(DeviceStore store, Clock clock, Map<String, Double> targets,
                       Supplier<Map<String, Object>> datacenterStatus, PrometheusMeterRegistry metrics,
                       Runnable beforeScrape, io.edgemanifest.explorer.auth.WebConfig web) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = clock;
        this.targets = Map.copyOf(targets);
        this.datacenterStatus = datacenterStatus;
        this.metrics = metrics;
        this.app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            // ISO-8601 instants, the same mapper the node records use.
            config.jsonMapper(new io.javalin.json.JavalinJackson(io.edgemanifest.core.node.NodeRecords.mapper(), false));
            config.staticFiles.add(static_ -> {
                static_.hostedPath = "/";
                static_.directory = "/ui";
                static_.location = Location.CLASSPATH;
            });
        });
        new io.edgemanifest.explorer.auth.WebSecurity(web).install(app); // headers + login gate, ahead of every route
        app.exception(ApiError.class, (e, ctx) -> ctx.status(e.status()).json(Map.of("error", e.getMessage())));
        app.exception(IllegalArgumentException.class, (e, ctx) -> ctx.status(400).json(Map.of("error", e.getMessage())));
        // The store down or restarting: say so in JSON (the UI shows it) instead of a 500 page.
        app.exception(IllegalStateException.class, (e, ctx) -> {
            log.warn("api: {} {} failed: {}", ctx.method(), ctx.path(), e.getMessage());
            ctx.status(503).json(Map.of("error", "the Explorer's store is not answering; try again shortly"));
        });
        app.get("/healthz", ctx -> ctx.json(Map.of("status", "ok")));
        if (web.metricsOnApiPort()) {
            app.get("/metrics", ctx -> {
                beforeScrape.run();
                ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
            });
        }
        this.json = new NodeJson(store, clock, this.targets, datacenterStatus);
        new NodeRoutes(json).register(app); // before /api/nodes/{id}: "counts" is no device
        new ExportRoutes(json).register(app);
        app.get("/api/nodes", this::nodes);
        app.get("/api/nodes/{id}", this::node);
        app.get("/api/nodes/{id}/events", this::events);
        app.get("/api/nodes/{id}/availability", this::availability);
        new NetworkRoutes(json).register(app);
        app.get("/api/summary", ctx -> ctx.json(json.summary()));
        new MapRoutes(json).register(app);
        new ReportRoutes(json).register(app);
        this.live = new LiveStream(json).register(app);
    }

    public ExplorerApi start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    private void nodes(Context ctx) {
        int limit = Params.integer(ctx, "limit", 50, 1, 1000);
        DeviceQuery query = Params.deviceQuery(ctx, limit, ctx.queryParam("cursor"));
        Page<Device> page;
        try {
            page = store.list(query, clock.instant());
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", json.nodes(page.items()));
        body.put("total", page.total());
        body.put("totalIsLowerBound", page.totalIsLowerBound());
        body.put("nextCursor", page.nextCursor());
        ctx.json(body);
    }

    private Device device(Context ctx) {
        String id = ctx.pathParam("id");
        return store.find(id).orElseThrow(() -> new ApiError(404, "no device '" + id + "'"));
    }

    private void node(Context ctx) {
        Device d = device(ctx);
        Instant now = clock.instant();
        Map<String, Object> body = json.nodes(List.of(d)).get(0);
        body.put("record", d.recordJson() == null ? null : rawJson(d.recordJson()));
        double target = targets.getOrDefault(d.kind(), 0.0);
        Map<String, Object> availability = new LinkedHashMap<>();
        Map<String, Long> observed = new LinkedHashMap<>();
        for (var window : Params.RANGES.entrySet()) {
            Availability a = store.availability(d.id(), now.minus(window.getValue()), now);
            availability.put(window.getKey(), a.share()); // null: no data, not 0 %
            observed.put(window.getKey(), a.observedMillis());
        }
        availability.put("observedMillis", observed);
        availability.put("target", target);
        Double day = (Double) availability.get("24h");
        availability.put("belowTarget", day != null && day < target);
        body.put("availability", availability);
        body.put("chain", chain(d));
        // Counts are derived here, where they are shown, not written into records (#12 item 9).
        if ("gateway".equals(d.kind())) {
            body.put("hosts", NodeJson.byStatus(store.hostsOfGateway(d.id())));
        } else if ("stargate".equals(d.kind()) && d.datacenter() != null) {
            var dc = store.counts().getOrDefault(d.datacenter(), Map.of());
            body.put("hosts", NodeJson.byStatus(dc.getOrDefault("host", Map.of())));
            body.put("gateways", NodeJson.byStatus(dc.getOrDefault("gateway", Map.of())));
        }
        ctx.json(body);
    }

    /** host → gateway → stargate(s) of its datacenter, each with its API link. */
    private List<Map<String, Object>> chain(Device d) {
        List<Map<String, Object>> chain = new ArrayList<>();
        chain.add(link(d.id(), d.kind()));
        if ("host".equals(d.kind()) && d.gateway() != null) {
            chain.add(link(d.gateway(), "gateway"));
        }
        if (!"stargate".equals(d.kind()) && d.datacenter() != null) {
            Page<Device> stargates = store.list(new DeviceQuery("stargate", d.datacenter(), null, null, null, "id", 5, null),
                    clock.instant());
            stargates.items().forEach(s -> chain.add(link(s.id(), "stargate")));
        }
        return chain;
    }

    private static Map<String, Object> link(String id, String kind) {
        return Map.of("id", id, "kind", kind, "href", "/api/nodes/" + id);
    }

    private void events(Context ctx) {
        Device d = device(ctx);
        int limit = Params.integer(ctx, "limit", 100, 1, 1000);
        // seq is a BIGINT: a long, or paging would stop at 2^31 events
        Long before = Params.optionalLong(ctx, "before", 0, Long.MAX_VALUE);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Event e : store.events(d.id(), before, limit)) {
            items.add(json.event(new Event(e.seq(), e.deviceId(), e.type(), e.at(), e.datacenter(), e.detail(), d.kind())));
        }
        ctx.json(Map.of("items", items));
    }

    private void availability(Context ctx) {
        Device d = device(ctx);
        String range = ctx.queryParam("range") == null ? "hourly" : ctx.queryParam("range");
        Duration size = switch (range) {
            case "hourly" -> Duration.ofHours(1);
            case "daily" -> Duration.ofDays(1);
            default -> throw ApiError.badParameter("range", range, "hourly or daily");
        };
        int count = Params.integer(ctx, "count", "hourly".equals(range) ? 24 : 7, 1, "hourly".equals(range) ? 24 * 31 : 366);
        List<Map<String, Object>> buckets = new ArrayList<>();
        for (Availability a : store.availabilityBuckets(d.id(), size, count, clock.instant())) {
            Map<String, Object> bucket = new LinkedHashMap<>();
            bucket.put("from", a.from());
            bucket.put("to", a.to());
            bucket.put("online", a.share()); // null: no data in this bucket
            bucket.put("observedMillis", a.observedMillis());
            buckets.add(bucket);
        }
        ctx.json(Map.of("range", range, "buckets", buckets, "target", targets.getOrDefault(d.kind(), 0.0)));
    }

    private static com.fasterxml.jackson.databind.JsonNode rawJson(String json) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public void close() {
        live.close(); // every stream ends, or the server would wait for them
        app.stop();
    }
}
