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
 * The Explorer at scale: N devices with E events each in an H2 file, then API latency of the list
 * query and the node page. Not a test: run with {@code ./edge bench explorer}.
 */
public final class ExplorerBench {

    public static void main(String[] args) throws Exception {
        int devices = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int eventsPerDevice = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        Path out = Path.of(args.length > 2 ? args[2] : "bench/results/explorer.jsonl");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path dir = Files.createTempDirectory("explorer-bench");
        Instant now = Instant.now();
        Instant start = now.minus(Duration.ofDays(30));
        Random random = new Random(7);
        try (DeviceStore store = JdbcDeviceStore.open(StoreConfig.h2(dir.resolve("bench")))) {
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
                    Device d = new Device(id, i % 100 == 0 ? "gateway" : "host", "sg-" + (i % 4), online ? DeviceStatus.ONLINE
                            : DeviceStatus.OFFLINE, start, at, at, "{\"id\":\"" + id + "\"}", null, null,
                            i % 3 == 0 ? "Gaborone" : "Las Vegas", i % 3 == 0 ? "BW" : "US", Map.of("owner", "op" + (i % 997)));
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
                System.out.printf(Locale.ROOT, "devices %d, events %d (H2 file), ingest %.0f changes/s (%.1f s), availability refresh %.1f s%n",
                        devices, store.eventCount(), changesPerSecond, ingestSeconds, refreshSeconds);
                System.out.println("| request | n | p50 ms | p99 ms |");
                System.out.println("|---|---|---|---|");
                System.out.printf(Locale.ROOT, "| GET /api/nodes?status=online&limit=100 | %d | %.2f | %.2f |%n", list.length, pct(list, 50), pct(list, 99));
                System.out.printf(Locale.ROOT, "| same, sort=-lastSeen | %d | %.2f | %.2f |%n", listPage.length, pct(listPage, 50), pct(listPage, 99));
                System.out.printf(Locale.ROOT, "| GET /api/nodes/{id} (node page) | %d | %.2f | %.2f |%n", node.length, pct(node, 50), pct(node, 99));
                Files.writeString(out, String.format(Locale.ROOT,
                        "{\"scenario\":\"explorer\",\"date\":\"%s\",\"devices\":%d,\"events\":%d,\"ingestChangesPerSecond\":%.0f,"
                                + "\"availabilityRefreshSeconds\":%.1f,\"listP50Ms\":%.2f,\"listP99Ms\":%.2f,\"nodeP50Ms\":%.2f,\"nodeP99Ms\":%.2f}%n",
                        Instant.now(), devices, store.eventCount(), changesPerSecond, refreshSeconds, pct(list, 50), pct(list, 99),
                        pct(node, 50), pct(node, 99)), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static double[] time(HttpClient http, java.util.function.IntFunction<String> url, int warmup, int n) throws Exception {
        for (int i = 0; i < warmup; i++) {
            http.send(HttpRequest.newBuilder(URI.create(url.apply(i))).build(), HttpResponse.BodyHandlers.discarding());
        }
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
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

    private static double pct(double[] sorted, int p) {
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
