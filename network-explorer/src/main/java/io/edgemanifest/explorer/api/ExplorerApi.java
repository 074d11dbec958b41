package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.Availability;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.DeviceStatus;
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
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The Explorer's read-only HTTP API and its web UI (static files from the classpath at {@code /}).
 * Every bad parameter is a 400 naming it; an unknown device is a 404; nothing a caller sends can
 * change stored data.
 */
public final class ExplorerApi implements AutoCloseable {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ExplorerApi.class);
    private static final Set<String> SORTS = Set.of("id", "kind", "datacenter", "status", "lastSeen", "firstSeen", "availability");

    private final DeviceStore store;
    private final Clock clock;
    private final Map<String, Double> targets;
    private final Supplier<Map<String, Object>> datacenterStatus;
    private final PrometheusMeterRegistry metrics;
    private final Javalin app;

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
        app.get("/api/nodes", this::nodes);
        app.get("/api/nodes/{id}", this::node);
        app.get("/api/nodes/{id}/events", this::events);
        app.get("/api/nodes/{id}/availability", this::availability);
        app.get("/api/datacenters", this::datacenters);
        app.get("/api/summary", this::summary);
    }

    public ExplorerApi start(String host, int port) {
        app.start(host, port);
        return this;
    }

    public int port() {
        return app.port();
    }

    private void nodes(Context ctx) {
        String kind = optionalEnum(ctx, "kind", Set.of("host", "gateway", "stargate"));
        DeviceStatus status = ctx.queryParam("status") == null ? null : parseStatus(ctx.queryParam("status"));
        String sort = ctx.queryParam("sort") == null ? "id" : ctx.queryParam("sort");
        if (!SORTS.contains(sort.startsWith("-") ? sort.substring(1) : sort)) {
            throw ApiError.badParameter("sort", sort, "one of " + SORTS + ", '-' for descending");
        }
        int limit = intParam(ctx, "limit", 50, 1, 1000);
        Boolean belowTarget = ctx.queryParam("belowTarget") == null ? null : boolParam(ctx, "belowTarget");
        DeviceQuery query = new DeviceQuery(kind, ctx.queryParam("datacenter"), status, blankToNull(ctx.queryParam("q")),
                belowTarget, sort, limit, ctx.queryParam("cursor"));
        Page<Device> page;
        try {
            page = store.list(query, clock.instant());
        } catch (IllegalArgumentException e) {
            throw new ApiError(400, e.getMessage());
        }
        Map<String, Double> availability = store.availability24h(page.items().stream().map(Device::id).toList());
        List<Map<String, Object>> items = new ArrayList<>();
        for (Device d : page.items()) {
            Map<String, Object> item = summary(d);
            Double a = availability.get(d.id());
            item.put("availability24h", a);
            item.put("belowTarget", a != null && a < targets.getOrDefault(d.kind(), 0.0));
            items.add(item);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("total", page.total());
        body.put("nextCursor", page.nextCursor());
        ctx.json(body);
    }

    private Map<String, Object> summary(Device d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("kind", d.kind());
        m.put("datacenter", d.datacenter());
        m.put("status", d.status().name().toLowerCase(Locale.ROOT));
        m.put("firstSeen", d.firstSeen());
        m.put("lastSeen", d.status() == DeviceStatus.ONLINE ? clock.instant() : d.lastSeen());
        m.put("statusSince", d.statusSince());
        m.put("gateway", d.gateway());
        m.put("city", d.city());
        m.put("country", d.country());
        m.put("labels", d.labels());
        m.put("parseError", d.parseError());
        return m;
    }

    private Device device(Context ctx) {
        String id = ctx.pathParam("id");
        return store.find(id).orElseThrow(() -> new ApiError(404, "no device '" + id + "'"));
    }

    private void node(Context ctx) {
        Device d = device(ctx);
        Instant now = clock.instant();
        Map<String, Object> body = summary(d);
        body.put("record", d.recordJson() == null ? null : rawJson(d.recordJson()));
        double target = targets.getOrDefault(d.kind(), 0.0);
        Map<String, Object> availability = new LinkedHashMap<>();
        for (var window : List.of(Map.entry("24h", Duration.ofHours(24)), Map.entry("7d", Duration.ofDays(7)),
                Map.entry("30d", Duration.ofDays(30)))) {
            Availability a = store.availability(d.id(), now.minus(window.getValue()), now);
            availability.put(window.getKey(), a.share()); // null: no data, not 0 %
        }
        availability.put("target", target);
        Double day = (Double) availability.get("24h");
        availability.put("belowTarget", day != null && day < target);
        body.put("availability", availability);
        body.put("chain", chain(d));
        // Counts are derived here, where they are shown, not written into records (#12 item 9).
        if ("gateway".equals(d.kind())) {
            body.put("hosts", byStatus(store.hostsOfGateway(d.id())));
        } else if ("stargate".equals(d.kind()) && d.datacenter() != null) {
            body.put("hosts", byStatus(store.counts().getOrDefault(d.datacenter(), Map.of()).getOrDefault("host", Map.of())));
        }
        ctx.json(body);
    }

    private static Map<String, Long> byStatus(Map<DeviceStatus, Long> counts) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (DeviceStatus st : DeviceStatus.values()) {
            m.put(st.name().toLowerCase(Locale.ROOT), counts.getOrDefault(st, 0L));
        }
        return m;
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
        int limit = intParam(ctx, "limit", 100, 1, 1000);
        // seq is a BIGINT: a long, or paging would stop at 2^31 events
        Long before = ctx.queryParam("before") == null ? null : longParam(ctx, "before", 0, Long.MAX_VALUE);
        List<Map<String, Object>> items = new ArrayList<>();
        for (Event e : store.events(d.id(), before, limit)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("seq", e.seq());
            m.put("type", e.type().name());
            m.put("at", e.at());
            m.put("datacenter", e.datacenter());
            m.put("detail", e.detail());
            items.add(m);
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
        int count = intParam(ctx, "count", "hourly".equals(range) ? 24 : 7, 1, "hourly".equals(range) ? 24 * 31 : 366);
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

    private void datacenters(Context ctx) {
        Map<String, Map<String, Map<DeviceStatus, Long>>> counts = store.counts();
        Map<String, Object> status = datacenterStatus.get();
        List<Map<String, Object>> items = new ArrayList<>();
        java.util.TreeSet<String> names = new java.util.TreeSet<>(counts.keySet());
        names.addAll(status.keySet());
        for (String dc : names) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("datacenter", dc);
            Map<String, Map<String, Long>> byKind = new LinkedHashMap<>();
            counts.getOrDefault(dc, Map.of()).forEach((kind, byStatus) -> {
                Map<String, Long> s = new LinkedHashMap<>();
                byStatus.forEach((st, n) -> s.put(st.name().toLowerCase(Locale.ROOT), n));
                byKind.put(kind, s);
            });
            m.put("devices", byKind);
            m.put("replicate", status.get(dc));
            items.add(m);
        }
        ctx.json(Map.of("items", items));
    }

    private void summary(Context ctx) {
        Map<String, Map<String, Long>> byKind = new LinkedHashMap<>();
        long total = 0;
        for (var dc : store.counts().values()) {
            for (var kind : dc.entrySet()) {
                for (var st : kind.getValue().entrySet()) {
                    byKind.computeIfAbsent(kind.getKey(), k -> new LinkedHashMap<>())
                            .merge(st.getKey().name().toLowerCase(Locale.ROOT), st.getValue(), Long::sum);
                    total += st.getValue();
                }
            }
        }
        ctx.json(Map.of("devices", total, "byKind", byKind, "events", store.eventCount(),
                "datacenters", datacenterStatus.get().size()));
    }

    private static DeviceStatus parseStatus(String value) {
        try {
            return DeviceStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("status", value, "online, offline or unknown");
        }
    }

    private static String optionalEnum(Context ctx, String name, Set<String> allowed) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return null;
        }
        if (!allowed.contains(value)) {
            throw ApiError.badParameter(name, value, "one of " + allowed);
        }
        return value;
    }

    private static int intParam(Context ctx, String name, int fallback, int min, int max) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, value, "an integer from " + min + " to " + max);
        }
    }

    private static long longParam(Context ctx, String name, long min, long max) {
        String value = ctx.queryParam(name);
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, value, "an integer from " + min + " to " + max);
        }
    }

    private static boolean boolParam(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if ("true".equals(value)) {
            return true;
        }
        if ("false".equals(value)) {
            return false;
        }
        throw ApiError.badParameter(name, value, "true or false");
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
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
        app.stop();
    }
}
