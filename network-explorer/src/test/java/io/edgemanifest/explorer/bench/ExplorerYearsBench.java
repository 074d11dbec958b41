package io.edgemanifest.explorer.bench;

import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.Pruned;
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
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The Explorer's store over a simulated year (#15): DEVICES devices across 4 datacenters (1 %
 * gateways) with EVENTS_PER_DEVICE changes each spread over the year, generated set-based in SQL
 * (generate_series on PostgreSQL, SYSTEM_RANGE on H2: 50,000,000 events cannot go through ingest in
 * time); then the set-based availability refresh, retention (90 d) rolling up and pruning the
 * older events, the database size before and after, and the API's list and node page latency.
 * Not a test: {@code ./edge bench explorer --devices N --events-per-device E --db h2|postgres}.
 */
public final class ExplorerYearsBench {

    record Options(int devices, int eventsPerDevice, String db, Path out, Duration retention) {
        Options {
            if (devices < 100 || eventsPerDevice < 2 || eventsPerDevice % 2 != 0) {
                throw new IllegalArgumentException("invalid --devices " + devices + " / --events-per-device " + eventsPerDevice
                        + " (at least 100 devices, an even number of at least 2 events)");
            }
            if (!db.equals("h2") && !db.equals("postgres")) {
                throw new IllegalArgumentException("invalid --db '" + db + "' (h2 or postgres)");
            }
        }

        static Options parse(String[] args) {
            int devices = 1_000_000;
            int events = 50;
            String db = "postgres";
            Path out = Path.of("bench/results/explorer-years.jsonl");
            for (int i = 0; i < args.length; i += 2) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                if (value == null) {
                    throw new IllegalArgumentException("missing value of " + args[i]);
                }
                switch (args[i]) {
                    case "--devices" -> devices = integer(args[i], value);
                    case "--events-per-device" -> events = integer(args[i], value);
                    case "--db" -> db = value;
                    case "--out" -> out = Path.of(value);
                    default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'");
                }
            }
            return new Options(devices, events, db, out, Duration.ofDays(90));
        }

        private static int integer(String flag, String value) {
            try {
                return Integer.parseInt(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid " + flag + " '" + value + "'");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        run(o);
    }

    static String run(Options o) throws Exception {
        Files.createDirectories(o.out().toAbsolutePath().getParent());
        Path dir = Files.createTempDirectory("explorer-years-bench");
        io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres = null;
        StoreConfig config;
        if (o.db().equals("postgres")) {
            postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
            // No socket timeout: generating a slice of events is one long statement (the store's
            // default of 60 s is for a server that hangs, not for bulk loads).
            String url = postgres.getJdbcUrl("postgres", "postgres");
            config = new StoreConfig(url + (url.contains("?") ? "&" : "?") + "socketTimeout=0", "postgres", "postgres", null);
        } else {
            config = StoreConfig.h2(dir.resolve("bench"));
        }
        boolean pg = o.db().equals("postgres");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant start = now.minus(Duration.ofDays(365));
        double generateSeconds;
        long events;
        long bytesBefore;
        try (JdbcDeviceStore store = JdbcDeviceStore.open(config)) {
            // Observed the whole year (a closed period: the store is reopened below).
            store.extendObservation(store.beginObservation(start), now.plus(Duration.ofHours(2)));
            long t0 = System.nanoTime();
            generate(store, o, start, pg);
            generateSeconds = (System.nanoTime() - t0) / 1e9;
            events = store.eventCount();
            bytesBefore = size(store, pg, dir);
            progress("generated %d devices, %d events in %.0f s; database %.1f MB", o.devices(), events, generateSeconds,
                    bytesBefore / 1e6);
        }
        try (JdbcDeviceStore store = JdbcDeviceStore.open(config)) {

            double[] refresh = new double[3];
            for (int i = 0; i < refresh.length; i++) {
                long t = System.nanoTime();
                store.refreshAvailability(now.plusSeconds(60L * i));
                refresh[i] = (System.nanoTime() - t) / 1e9;
            }
            progress("refresh %.2f s (first), %.2f / %.2f s (steady)", refresh[0], refresh[1], refresh[2]);
            long t1 = System.nanoTime();
            Pruned pruned = store.pruneEvents(now, o.retention(), Integer.MAX_VALUE);
            double pruneSeconds = (System.nanoTime() - t1) / 1e9;
            progress("retention 90 d: %d hours, %d events pruned, %d rollups in %.0f s", pruned.hours(), pruned.eventsDeleted(),
                    pruned.rollupsWritten(), pruneSeconds);
            if (pg) {
                vacuum(store);
            }
            long bytesAfter = pg ? size(store, pg, dir) : -1; // H2: measured compacted, at the end
            long t2 = System.nanoTime();
            store.refreshAvailability(now.plusSeconds(240));
            double refreshAfterPrune = (System.nanoTime() - t2) / 1e9;
            // One hour later: the hour that passed the retention is rolled up and pruned.
            long t3 = System.nanoTime();
            Pruned hourly = store.pruneEvents(now.plus(Duration.ofHours(1)), o.retention(), Integer.MAX_VALUE);
            double hourlyPruneSeconds = (System.nanoTime() - t3) / 1e9;

            Random random = new Random(15);
            double[] list;
            double[] listFirstSeen;
            double[] listKind;
            double[] node;
            try (ExplorerApi api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS, Map::of,
                    new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0)) {
                String base = "http://127.0.0.1:" + api.port();
                HttpClient http = HttpClient.newHttpClient();
                int n = Math.min(1000, Math.max(100, o.devices() / 100));
                list = time(http, i -> base + "/api/nodes?status=online&limit=100", 50, n);
                listFirstSeen = time(http, i -> base + "/api/nodes?sort=-firstSeen&limit=100", 20, n / 2);
                listKind = time(http, i -> base + "/api/nodes?sort=kind&limit=100", 20, n / 2);
                node = time(http, i -> base + "/api/nodes/" + id(1 + random.nextInt(o.devices())), 20, n);
            }
            if (!pg) {
                bytesAfter = size(store, pg, dir);
            }
            double deviceDays = (double) o.devices() * 365;
            String summary = String.format(Locale.ROOT,
                    "devices %d, events %d (%s) generated in %.0f s; refresh %.2f / %.2f / %.2f s (first, steady), %.2f s after "
                            + "pruning; retention 90 d: %d hours, %d events pruned, %d hourly rollups in %.0f s, next hour %.2f s; "
                            + "database %.1f MB before, %.1f MB after (%.0f bytes per device-day)%n"
                            + "list p99 %.1f ms (status=online), %.1f ms (-firstSeen), %.1f ms (kind); node page p50 %.1f p99 %.1f ms",
                    o.devices(), events, o.db(), generateSeconds, refresh[0], refresh[1], refresh[2], refreshAfterPrune,
                    pruned.hours(), pruned.eventsDeleted(), pruned.rollupsWritten(), pruneSeconds, hourlyPruneSeconds,
                    bytesBefore / 1e6, bytesAfter / 1e6, bytesAfter / deviceDays, pct(list, 99), pct(listFirstSeen, 99),
                    pct(listKind, 99), pct(node, 50), pct(node, 99));
            System.out.println(summary);
            Files.writeString(o.out(), String.format(Locale.ROOT,
                    "{\"scenario\":\"explorer-years\",\"date\":\"%s\",\"store\":\"%s\",\"devices\":%d,\"events\":%d,"
                            + "\"generateSeconds\":%.1f,\"refreshFirstSeconds\":%.3f,\"refreshSeconds\":%.3f,\"refreshAfterPruneSeconds\":%.3f,"
                            + "\"pruneHours\":%d,\"prunedEvents\":%d,\"rollups\":%d,\"pruneSeconds\":%.1f,\"hourlyPruneSeconds\":%.3f,"
                            + "\"bytesBefore\":%d,\"bytesAfter\":%d,\"bytesPerDeviceDay\":%.1f,\"listP50Ms\":%.2f,\"listP99Ms\":%.2f,"
                            + "\"listFirstSeenP99Ms\":%.2f,\"listKindP99Ms\":%.2f,\"nodeP50Ms\":%.2f,\"nodeP99Ms\":%.2f,\"load\":\"%s\"}%n",
                    Instant.now(), o.db(), o.devices(), events, generateSeconds, refresh[0], Math.max(refresh[1], refresh[2]),
                    refreshAfterPrune, pruned.hours(), pruned.eventsDeleted(), pruned.rollupsWritten(), pruneSeconds,
                    hourlyPruneSeconds, bytesBefore, bytesAfter, bytesAfter / deviceDays, pct(list, 50), pct(list, 99),
                    pct(listFirstSeen, 99), pct(listKind, 99), pct(node, 50), pct(node, 99), load()),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return summary;
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static String id(long i) {
        return String.format("dev-%09d", i);
    }

    /**
     * Devices, then their events, in SQL. Device i's k-th event: pairs of ONLINE (k even) then
     * OFFLINE (k odd) 85 % of a pair's length later, pairs spread evenly over the year, each
     * shifted by up to a tenth of a pair (deterministic per device); the last event of 4 in 5
     * devices is UPDATED (they end online). About 85 % availability.
     */
    private static void generate(DeviceStore store, Options o, Instant start, boolean pg) throws Exception {
        long pair = Duration.ofDays(365).toSeconds() / (o.eventsPerDevice() / 2);
        String base = "TIMESTAMP WITH TIME ZONE '" + start.toString().replace('T', ' ').replace("Z", "+00") + "'";
        java.util.function.BiFunction<String, String, String> at = (i, k) -> "(" + base + " + ((" + k + " / 2) * " + pair
                + " + CASE WHEN MOD(" + k + ", 2) = 1 THEN " + (pair * 85 / 100) + " ELSE 0 END + MOD(CAST(" + i + " AS BIGINT) * 7919 + " + k
                + " * 104729, " + Math.max(1, pair / 10) + ")) * INTERVAL '1' SECOND)";
        String rows = pg ? "(SELECT g AS i FROM generate_series(1, " + o.devices() + ") g) r"
                : "(SELECT \"X\" AS i FROM SYSTEM_RANGE(1, " + o.devices() + ")) r";
        int last = o.eventsPerDevice() - 1;
        String id = "'dev-' || LPAD(CAST(i AS VARCHAR), 9, '0')";
        String lastState = "CASE WHEN MOD(i, 5) = 0 THEN 'OFFLINE' ELSE 'ONLINE' END";
        try (Connection c = ((JdbcDeviceStore) store).dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate("INSERT INTO devices (id, kind, datacenter, status, first_seen, last_seen, status_since, record_json, "
                    + "gateway, city, country, labels_json, search_text, avail_24h, lat, lon, last_state, last_event_at) SELECT "
                    + id + ", CASE WHEN MOD(i, 100) = 0 THEN 'gateway' ELSE 'host' END, 'sg-' || CAST(MOD(i, 4) AS VARCHAR), "
                    + lastState + ", " + base + ", " + at.apply("i", String.valueOf(last)) + ", " + at.apply("i", String.valueOf(last))
                    + ", '{\"id\":\"' || " + id + " || '\"}', CASE WHEN MOD(i, 100) = 0 THEN NULL ELSE 'dev-' || "
                    + "LPAD(CAST(i - MOD(i, 100) AS VARCHAR), 9, '0') END, 'Gaborone', 'BW', '{}', " + id + ", -1, "
                    + "MOD(i * 37, 170) - 85.0, MOD(i * 91, 350) - 175.0, " + lastState + ", " + at.apply("i", String.valueOf(last))
                    + " FROM " + rows);
            // In slices of devices, so no statement holds 50,000,000 rows; per device in time order.
            int slice = 10_000;
            for (int from = 1; from <= o.devices(); from += slice) {
                int to = Math.min(o.devices(), from + slice - 1);
                String sliceRows = pg ? "(SELECT g AS i FROM generate_series(" + from + ", " + to + ") g) r"
                        : "(SELECT \"X\" AS i FROM SYSTEM_RANGE(" + from + ", " + to + ")) r";
                String ks = pg ? "(SELECT g AS k FROM generate_series(0, " + last + ") g) ks"
                        : "(SELECT \"X\" AS k FROM SYSTEM_RANGE(0, " + last + ")) ks";
                s.executeUpdate("INSERT INTO events (device_id, event_type, happened_at, datacenter) SELECT " + id
                        + ", CASE WHEN MOD(k, 2) = 0 THEN 'ONLINE' WHEN k = " + last + " AND MOD(i, 5) <> 0 THEN 'UPDATED' "
                        + "ELSE 'OFFLINE' END, " + at.apply("i", "k") + ", 'sg-' || CAST(MOD(i, 4) AS VARCHAR) FROM " + sliceRows
                        + " CROSS JOIN " + ks + " ORDER BY i, k");
            }
            if (pg) {
                s.execute("ANALYZE");
            }
        }
    }

    /**
     * The database's size on disk: PostgreSQL's own figure; H2's file once compacted (H2 appends
     * and compacts only when closed: SHUTDOWN COMPACT closes the store, so H2 is measured last).
     */
    private static long size(JdbcDeviceStore store, boolean pg, Path dir) throws Exception {
        if (!pg) {
            try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("SHUTDOWN COMPACT");
            } catch (java.sql.SQLException e) {
                // the connection ends with the database: expected
            }
            try (var files = Files.walk(dir)) {
                return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
        }
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Pruned rows' space back to the table (what autovacuum does in production, here at once). */
    private static void vacuum(JdbcDeviceStore store) throws Exception {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("VACUUM ANALYZE");
        }
    }

    /** A phase's figures as soon as it ends (a long run cut short still says what it measured). */
    private static void progress(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[%s, load %s] " + format + "%n", java.util.stream.Stream.concat(
                java.util.stream.Stream.of(Instant.now().truncatedTo(ChronoUnit.SECONDS), load()), java.util.Arrays.stream(args)).toArray());
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "";
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
