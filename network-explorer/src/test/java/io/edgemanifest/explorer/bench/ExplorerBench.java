package io.edgemanifest.explorer.bench;

import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The Explorer at scale: N devices with E events each in an H2 file (or an embedded PostgreSQL
 * with a 4th argument {@code postgres}), then API latency of the list query, the node page, the
 * map (#13), the status counts, the availability report, and the time of the full CSV export.
 * Not a test: run with {@code ./edge bench explorer [DEVICES [EVENTS] [OUT] [h2|postgres]]}.
 */
public final class ExplorerBench {

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int eventsPerDevice = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path out = Path.of(args.length > 2 ? args[2] : "bench/results/explorer.jsonl");
        Files.createDirectories(out.toAbsolutePath().getParent());
        String storeKind = args.length > 3 ? args[3] : "h2";
        Path dir = Files.createTempDirectory("explorer-bench");
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres = null;
        StoreConfig config;
        if ("postgres".equals(storeKind)) {
            postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
            config = new StoreConfig(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "postgres", null);
        } else if ("h2".equals(storeKind)) {
            config = StoreConfig.h2(dir.resolve("bench"));
        } else {
            throw new IllegalArgumentException("invalid store '" + storeKind + "' (h2 or postgres)");
        }
        Instant now = Instant.now();
        Instant start = now.minus(Duration.ofDays(30));
        Random random = new Random(7);
        // Where devices are: 90 % around a few cities (clusters), the rest without a location.
        double[][] cities = {{-24.65, 25.91}, {36.17, -115.14}, {52.52, 13.40}, {1.35, 103.82}, {-33.87, 151.21},
                {40.71, -74.01}, {-23.55, -46.63}, {35.68, 139.69}};
        try (DeviceStore store = JdbcDeviceStore.open(config)) {
            store.beginObservation(start);
            // Ingest: every change is a device upsert plus one event, in batches of 500 as ingest writes them.
            long t0 = System.nanoTime();
            List<String> ids = new ArrayList<>();
            for (int round = 0; round < eventsPerDevice; round++) {
                List<Change> batch = new ArrayList<>();
                for (int i = 0; i < devices; i++) {
                    String id = String.format("host-%08d-0000-4000-8000-%012d", i, i);
                    if (round == 0) {
                        ids.add(id);
                    }
                    boolean online = round % 2 == 0 || (round == eventsPerDevice - 1 && i % 5 != 0);
                    Instant at = start.plus(Duration.ofMinutes((long) round * 4000 + random.nextInt(600)));
                    double[] city = cities[i % cities.length];
                    boolean located = i % 10 != 9;
                    // A fixed position per device (seeded by its index), a few degrees around its city.
                    Random place = new Random(i);
                    Double lat = located ? Math.max(-90, Math.min(90, city[0] + place.nextGaussian() * 3)) : null;
                    Double lon = located ? Math.max(-180, Math.min(180, city[1] + place.nextGaussian() * 3)) : null;
                    String gateway = i % 100 == 0 ? null : String.format("host-%08d-0000-4000-8000-%012d", i - i % 100, i - i % 100);
                    Device d = new Device(id, i % 100 == 0 ? "gateway" : "host", "sg-" + (i % 4), online ? DeviceStatus.ONLINE
                            : DeviceStatus.OFFLINE, start, at, at, "{\"id\":\"" + id + "\"}", null, gateway,
                            i % 3 == 0 ? "Gaborone" : "Las Vegas", i % 3 == 0 ? "BW" : "US", Map.of("owner", "op" + (i % 997)),
                            lat, lon);
                    batch.add(new Change(d, online ? (round == 0 ? EventType.ONLINE : EventType.ONLINE) : EventType.OFFLINE, at, null));
                    if (batch.size() == 500) {
                        store.apply(batch);
                        batch = new ArrayList<>();
                    }
                }
                store.apply(batch);
            }
            double ingestSeconds = (System.nanoTime() - t0) / 1e9;
            double changesPerSecond = (double) devices * eventsPerDevice / ingestSeconds;
            long t1 = System.nanoTime();
            store.refreshAvailability(now);
            double refreshSeconds = (System.nanoTime() - t1) / 1e9;

            try (ExplorerApi api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS, Map::of,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0)) {
                String base = "http://127.0.0.1:" + api.port();
                HttpClient http = HttpClient.newHttpClient();
                double[] list = time(http, i -> base + "/api/nodes?status=online&limit=100", 200, 2000);
                double[] listPage = time(http, i -> base + "/api/nodes?status=online&limit=100&sort=-lastSeen", 100, 500);
                double[] node = time(http, i -> base + "/api/nodes/" + ids.get(random.nextInt(ids.size())), 100, 1000);
                // H2 answers a query repeated on unchanged tables from its result cache, and /api/map
                // reuses an answer until the next event (≤ 1 s); ingest writes all the time in
                // production, so one device changes (row and UPDATED event, untimed) before each
                // request: these are the figures of a real aggregation, not of a cache.
                Runnable touch = () -> {
                    String id = ids.get(random.nextInt(ids.size()));
                    Device d = store.find(id).orElseThrow();
                    store.apply(List.of(new Change(new Device(d.id(), d.kind(), d.datacenter(), d.status(), d.firstSeen(),
                            d.lastSeen().plusMillis(1), d.statusSince(), d.recordJson(), d.parseError(), d.gateway(), d.city(),
                            d.country(), d.labels(), d.lat(), d.lon()), EventType.UPDATED, Instant.now(), "bench")));
                };
                double[] map0 = time(http, i -> base + "/api/map?zoom=0", 20, 200, touch);
                double[] map3 = time(http, i -> base + "/api/map?zoom=3", 20, 200, touch);
                double[] map0f = time(http, i -> base + "/api/map?zoom=0&status=offline&kind=host", 20, 200, touch);
                double[] map3f = time(http, i -> base + "/api/map?zoom=3&status=online&datacenter=sg-1", 20, 200, touch);
                double[] map6b = time(http, i -> base + "/api/map?zoom=6&bbox=-10,35,30,60", 20, 200, touch);
                double[] counts = time(http, i -> base + "/api/nodes/counts?kind=host", 20, 200, touch);
                double[] report24 = time(http, i -> base + "/api/report/availability?range=24h", 5, 50, touch);
                // Longer ranges: one pass over all events, computed once then reused for 60 s: time the first.
                double[] reportCold = new double[3];
                String[] longRanges = {"7d", "30d", "90d"};
                for (int r = 0; r < 3; r++) {
                    String range = longRanges[r];
                    reportCold[r] = time(http, i -> base + "/api/report/availability?range=" + range, 0, 1)[0];
                }
                // The full export: every device, streamed; rows counted as they arrive.
                double[] csvSeconds = new double[3];
                long csvBytes = 0;
                for (int r = 0; r < csvSeconds.length; r++) {
                    long t = System.nanoTime();
                    HttpResponse<java.io.InputStream> csv = http.send(HttpRequest.newBuilder(URI.create(base + "/api/nodes.csv")).build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    long lines = 0;
                    long bytes = 0;
                    try (var in = new java.io.BufferedInputStream(csv.body(), 1 << 16)) {
                        for (int b = in.read(); b >= 0; b = in.read()) {
                            bytes++;
                            if (b == '\n') {
                                lines++;
                            }
                        }
                    }
                    csvSeconds[r] = (System.nanoTime() - t) / 1e9;
                    csvBytes = bytes;
                    if (lines != devices + 1) {
                        throw new IllegalStateException("CSV had " + lines + " lines for " + devices + " devices");
                    }
                }
                Arrays.sort(csvSeconds);
                System.out.printf(Locale.ROOT, "devices %d, events %d (" + storeKind + "), ingest %.0f changes/s (%.1f s), availability refresh %.1f s%n",
                        devices, store.eventCount(), changesPerSecond, ingestSeconds, refreshSeconds);
                System.out.println("| request | n | p50 ms | p99 ms |");
                System.out.println("|---|---|---|---|");
                System.out.printf(Locale.ROOT, "| GET /api/nodes?status=online&limit=100 | %d | %.2f | %.2f |%n", list.length, pct(list, 50), pct(list, 99));
                System.out.printf(Locale.ROOT, "| same, sort=-lastSeen | %d | %.2f | %.2f |%n", listPage.length, pct(listPage, 50), pct(listPage, 99));
                System.out.printf(Locale.ROOT, "| GET /api/nodes/{id} (node page) | %d | %.2f | %.2f |%n", node.length, pct(node, 50), pct(node, 99));
                row("GET /api/map?zoom=0", map0);
                row("GET /api/map?zoom=3", map3);
                row("GET /api/map?zoom=0&status=offline&kind=host", map0f);
                row("GET /api/map?zoom=3&status=online&datacenter=sg-1", map3f);
                row("GET /api/map?zoom=6&bbox=-10,35,30,60", map6b);
                row("GET /api/nodes/counts?kind=host", counts);
                row("GET /api/report/availability?range=24h", report24);
                System.out.printf(Locale.ROOT, "| GET /api/report/availability, first computation: 7d / 30d / 90d | 1 each | %.0f / %.0f / %.0f ms | |%n",
                        reportCold[0], reportCold[1], reportCold[2]);
                System.out.printf(Locale.ROOT, "| GET /api/nodes.csv (all %d devices, %.1f MB) | %d | median %.2f s | max %.2f s |%n",
                        devices, csvBytes / 1e6, csvSeconds.length, csvSeconds[1], csvSeconds[2]);
                Files.writeString(out, String.format(Locale.ROOT,
                        "{\"scenario\":\"explorer-map\",\"date\":\"%s\",\"store\":\"%s\",\"devices\":%d,\"mapZoom0P50Ms\":%.2f,"
                                + "\"mapZoom0P99Ms\":%.2f,\"mapZoom3P50Ms\":%.2f,\"mapZoom3P99Ms\":%.2f,\"mapZoom0FilteredP99Ms\":%.2f,"
                                + "\"mapZoom3FilteredP99Ms\":%.2f,\"mapZoom6BboxP99Ms\":%.2f,\"countsP99Ms\":%.2f,\"report24hP99Ms\":%.2f,"
                                + "\"report7dMs\":%.0f,\"report30dMs\":%.0f,\"report90dMs\":%.0f,\"csvMedianSeconds\":%.2f,\"csvBytes\":%d}%n",
                        Instant.now(), storeKind, devices, pct(map0, 50), pct(map0, 99), pct(map3, 50), pct(map3, 99), pct(map0f, 99),
                        pct(map3f, 99), pct(map6b, 99), pct(counts, 99), pct(report24, 99), reportCold[0], reportCold[1], reportCold[2],
                        csvSeconds[1], csvBytes), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                Files.writeString(out, String.format(Locale.ROOT,
                        "{\"scenario\":\"explorer\",\"date\":\"%s\",\"devices\":%d,\"events\":%d,\"ingestChangesPerSecond\":%.0f,"
                                + "\"availabilityRefreshSeconds\":%.1f,\"listP50Ms\":%.2f,\"listP99Ms\":%.2f,\"nodeP50Ms\":%.2f,\"nodeP99Ms\":%.2f}%n",
                        Instant.now(), devices, store.eventCount(), changesPerSecond, refreshSeconds, pct(list, 50), pct(list, 99),
                        pct(node, 50), pct(node, 99)), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double[] time(HttpClient http, java.util.function.IntFunction<String> url, int warmup, int n) throws Exception {
        return time(http, url, warmup, n, () -> { });
    }

    /** @param before runs untimed before each timed request */
    private static double[] time(HttpClient http, java.util.function.IntFunction<String> url, int warmup, int n, Runnable before)
            throws Exception {
        for (int i = 0; i < warmup; i++) {
            http.send(HttpRequest.newBuilder(URI.create(url.apply(i))).build(), HttpResponse.BodyHandlers.discarding());
        }
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            before.run();
            long t = System.nanoTime();
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(url.apply(i))).build(), HttpResponse.BodyHandlers.discarding());
            ms[i] = (System.nanoTime() - t) / 1e6;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("HTTP " + r.statusCode() + " for " + url.apply(i));
            }
        }
        Arrays.sort(ms);
        return ms;
    }

    private static void row(String request, double[] ms) {
        System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f |%n", request, ms.length, pct(ms, 50), pct(ms, 99));
    }

    private static double pct(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
