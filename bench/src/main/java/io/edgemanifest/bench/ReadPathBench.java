package io.edgemanifest.bench;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulDatacenters;
import io.edgemanifest.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * {@code ./edge bench readpath}: the read path at N hosts per datacenter. A Stargate datacenter
 * and the Explorer's (real Consul), {@code replicate} and {@code network-explorer} (real processes
 * from their jars); the source's N hosts are written straight through Consul's API
 * ({@link SyntheticSource}), then churned at a fixed rate for a window. Per size: replication lag
 * and Explorer detection of every change ({@link ChangeTracker}), bytes each process read from
 * Consul per change (a {@link ByteCountingProxy} in front of each), CPU, heap and RSS of replicate
 * and the Explorer, CPU of both Consuls.
 */
final class ReadPathBench {

    /** What the bench takes, validated here so that a bad flag is one line and exit code 2. */
    record Config(List<Integer> hosts, double rate, Duration window, Duration drain, Duration settle, boolean acl, int hostsPerNode) {
        Config {
            hosts = List.copyOf(hosts);
            if (hosts.isEmpty()) {
                throw new IllegalArgumentException("invalid --hosts: give at least one size");
            }
            for (int n : hosts) {
                if (n < 10 || n > 200_000) {
                    throw new IllegalArgumentException("invalid --hosts " + n + " (10 to 200000)");
                }
            }
            if (!(rate > 0 && rate <= 1000)) {
                throw new IllegalArgumentException("invalid --rate " + rate + " (changes per second, above 0, at most 1000)");
            }
            BenchMain.requirePositive(window, "--window");
            BenchMain.requirePositive(drain, "--drain");
            BenchMain.requirePositive(settle, "--settle");
            if (hostsPerNode < 1 || hostsPerNode > 200_000) {
                throw new IllegalArgumentException("invalid --hosts-per-node " + hostsPerNode + " (1 to 200000)");
            }
        }

        /** Catalog nodes (Consul agents) for {@code hosts}: as many as the write path's sizing asks. */
        int nodes(int hosts) {
            return (hosts + hostsPerNode - 1) / hostsPerNode;
        }
    }

    /** The changes' mix: most are record updates; deaths and returns balance, so the population stays put. */
    private static final double UPDATE_SHARE = 0.4;
    private static final String DC = "dc1";
    private static final String REPLICATE_BYTES = "replicate_source_bytes_total";
    private static final String EXPLORER_BYTES = "explorer_ingest_bytes_total";

    private final Path root;
    private final Path work;
    private final Path results;
    private final Config config;

    ReadPathBench(Path root, Path work, Path results, Config config) {
        this.root = root;
        this.work = work;
        this.results = results;
        this.config = config;
    }

    List<Map<String, Object>> run() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int n : config.hosts()) {
            Map<String, Object> row = runOne(n);
            Results.append(results.resolve("readpath.jsonl"), "readpath", row);
            System.out.print(Results.table(List.of(row)));
            rows.add(row);
        }
        System.out.println();
        System.out.print(Results.table(rows));
        chart(results);
        return rows;
    }

    private Map<String, Object> runOne(int n) throws Exception {
        Path dir = work.resolve("readpath-" + n);
        Launch.deleteTree(dir);
        Files.createDirectories(dir);
        Path logs = dir.resolve("logs");
        String previousLogDir = System.setProperty("edge.test.logDir", logs.toString());
        System.err.printf("bench readpath: %d hosts on %d catalog nodes, %.1f changes/s for %d s, ACLs %s%n", n, config.nodes(n),
                config.rate(), config.window().toSeconds(), config.acl() ? "on" : "off");
        List<ByteCountingProxy> proxies = new ArrayList<>();
        try (ConsulDatacenters dcs = config.acl() ? ConsulDatacenters.startWithAcls("explorer", DC)
                : ConsulDatacenters.start("explorer", DC)) {
            try {
                return measure(n, dcs, dir, logs, proxies);
            } finally {
                // The processes and the relays go before Consul does: no reconnect storms into closed ports.
                Launch.killAll();
                proxies.forEach(ByteCountingProxy::close);
            }
        } finally {
            Http.token = null;
            Launch.restoreLogDir(previousLogDir);
        }
    }

    private Map<String, Object> measure(int n, ConsulDatacenters dcs, Path dir, Path logs, List<ByteCountingProxy> proxies)
            throws Exception {
        ConsulAgent source = dcs.get(DC);
        ConsulAgent central = dcs.get("explorer");
        String token = config.acl() ? central.masterToken() : null;
        Http.token = token;
        SyntheticSource hosts = new SyntheticSource(source.httpUrl(), token, DC, n, config.nodes(n));
        double generation = hosts.generate(4);
        System.err.printf("bench readpath: %d hosts written at the source in %.1f s%n", n, generation);
        // What one whole re-read of the datacenter decodes (the wire carries it gzip-compressed).
        String kvAll = source.httpUrl() + "/v1/kv/" + SyntheticSource.PREFIX + "?recurse";
        String hostsAll = source.httpUrl() + "/v1/health/state/any?filter=" + java.net.URLEncoder.encode(
                "ServiceTags contains \"host\" or CheckID == \"serfHealth\"", java.nio.charset.StandardCharsets.UTF_8);
        double fullReadKiB = (bodyBytes(kvAll, false) + bodyBytes(hostsAll, false)) / 1024.0;
        // ... and on the wire to a client that asks for gzip, as the kiwiproject client (OkHttp) does.
        double fullReadGzKiB = (bodyBytes(kvAll, true) + bodyBytes(hostsAll, true)) / 1024.0;

        ByteCountingProxy fromSource = ByteCountingProxy.to(source.httpUrl());
        ByteCountingProxy replicateDest = ByteCountingProxy.to(central.httpUrl());
        ByteCountingProxy explorerDest = ByteCountingProxy.to(central.httpUrl());
        proxies.addAll(List.of(fromSource, replicateDest, explorerDest));
        Path secrets = dir.resolve("secrets");
        List<String> replicateTokens = new ArrayList<>();
        List<String> explorerTokens = new ArrayList<>();
        if (config.acl()) {
            BenchTokens.rolePolicies(central);
            replicateTokens = List.of("--token-file",
                    BenchTokens.roleToken(central, AclPolicies.Role.REPLICATE, secrets).toString());
            explorerTokens = List.of("--token-file",
                    BenchTokens.roleToken(central, AclPolicies.Role.EXPLORER, secrets).toString());
        }
        long started = System.nanoTime();
        int replicateMetrics = FreePorts.next();
        List<String> replicateArgs = new ArrayList<>(List.of("--consul", replicateDest.url(),
                "--source", DC + "=" + fromSource.url(), "--metrics", "127.0.0.1:" + replicateMetrics));
        replicateArgs.addAll(replicateTokens);
        Process replicate = Launch.jar(root, "replicate", List.of(), logs.resolve("replicate.log"),
                replicateArgs.toArray(String[]::new));
        int port = FreePorts.next();
        int explorerMetrics = FreePorts.next();
        String explorer = "http://127.0.0.1:" + port;
        List<String> explorerArgs = new ArrayList<>(List.of("--consul", explorerDest.url(), "--port", Integer.toString(port),
                "--data-dir", dir.resolve("explorer").toString(), "--metrics", "127.0.0.1:" + explorerMetrics));
        explorerArgs.addAll(explorerTokens);
        Process explorerProcess = Launch.jar(root, "network-explorer", List.of(), logs.resolve("network-explorer.log"),
                explorerArgs.toArray(String[]::new));

        // The first full copy, then the Explorer's first ingest of every host.
        Duration deadline = config.settle();
        // Counting 100,000 keys is itself a 7 MB answer: poll less often the larger the datacenter.
        Duration poll = Duration.ofMillis(Math.max(500, n / 20));
        double initialSync = awaitSeconds(started, deadline, logs, replicate,
                () -> Http.keyCount(central.httpUrl(), "replica/" + DC + "/kv/" + SyntheticSource.PREFIX) >= n
                        && Http.keyCount(central.httpUrl(), "replica/" + DC + "/services/") >= n, "the replica to hold " + n + " hosts", poll);
        System.err.printf("bench readpath: replica complete %.1f s after replicate started%n", initialSync);
        // Not every host online in the Explorer by --settle is itself a result (the churn runs anyway, counted).
        double ingest = awaitSeconds(started, deadline, logs, explorerProcess,
                () -> onlineHosts(explorer) >= n, "the Explorer to show " + n + " hosts online", poll);
        System.err.printf("bench readpath: Explorer shows all %d online %.1f s after start%n", n, ingest);

        int onlineAtChurn = onlineHosts(explorer);
        String replicateScrape = "http://127.0.0.1:" + replicateMetrics + "/metrics";
        String explorerScrape = "http://127.0.0.1:" + explorerMetrics + "/metrics";
        long[] bytesBefore = {fromSource.bytesRead(), replicateDest.bytesRead(), explorerDest.bytesRead()};
        ProcessStats.Sample replicateBefore = ProcessStats.sample(replicate.pid());
        ProcessStats.Sample explorerBefore = ProcessStats.sample(explorerProcess.pid());
        ProcessStats.Sample sourceBefore = ProcessStats.sample(source.pid());
        ProcessStats.Sample centralBefore = ProcessStats.sample(central.pid());
        Prometheus replicateStart = scrapeOrEmpty(replicateScrape);
        Prometheus explorerStart = scrapeOrEmpty(explorerScrape);
        double gcBefore = replicateStart.value("jvm_gc_pause_seconds_sum");
        double loadBefore = loadAverage();

        Peaks peaks = new Peaks();
        int changes;
        try (ChangeTracker tracker = new ChangeTracker(central.httpUrl(), token, DC, explorer)) {
            changes = churn(hosts, tracker, peaks, replicate, replicateScrape, explorerProcess, explorerScrape);
            long[] bytesAfter = {fromSource.bytesRead(), replicateDest.bytesRead(), explorerDest.bytesRead()};
            ProcessStats.Sample replicateAfter = ProcessStats.sample(replicate.pid());
            ProcessStats.Sample explorerAfter = ProcessStats.sample(explorerProcess.pid());
            ProcessStats.Sample sourceAfter = ProcessStats.sample(source.pid());
            ProcessStats.Sample centralAfter = ProcessStats.sample(central.pid());
            Prometheus replicateEnd = scrapeOrEmpty(replicateScrape);
            Prometheus explorerEnd = scrapeOrEmpty(explorerScrape);
            double gcAfter = replicateEnd.value("jvm_gc_pause_seconds_sum");
            // Decoded bytes, where the processes count them themselves (from #15's sharding on).
            double replicateDecoded = replicateEnd.value(REPLICATE_BYTES) - replicateStart.value(REPLICATE_BYTES);
            double explorerDecoded = explorerEnd.value(EXPLORER_BYTES) - explorerStart.value(EXPLORER_BYTES);
            double loadAfter = loadAverage();
            double seconds = (replicateAfter.nanoTime() - replicateBefore.nanoTime()) / 1e9;
            System.err.printf("bench readpath: %d changes made; waiting up to %d s for %d still on their way%n",
                    changes, config.drain().toSeconds(), tracker.pending());
            long drainEnd = System.nanoTime() + config.drain().toNanos();
            while (tracker.pending() > 0 && System.nanoTime() < drainEnd) {
                ScaleBench.pause(Duration.ofMillis(200));
            }
            List<ChangeTracker.Seen> seen = tracker.all();

            Map<String, Object> row = new LinkedHashMap<>();
            row.put("hosts", n);
            row.put("acl", config.acl());
            row.put("nodes", config.nodes(n));
            row.put("ratePerS", config.rate());
            row.put("windowS", config.window().toSeconds());
            row.put("changes", changes);
            row.put("generationS", Results.round(generation, 1));
            row.put("initialSyncS", Results.round(initialSync, 1));
            row.put("explorerIngestS", Results.round(ingest, 1));
            row.put("onlineAtChurn", onlineAtChurn);
            quantiles(row, "lag", seen, s -> s.lag());
            row.put("lagMissed", seen.stream().filter(s -> !s.replicated()).count());
            row.put("recordLagP99S", Results.round(quantile(seen, s -> s.record, 0.99), 2));
            row.put("serviceLagP99S", Results.round(quantile(seen.stream()
                    .filter(s -> s.change.kind().serviceStatus != null).toList(), s -> s.service, 0.99), 2));
            List<ChangeTracker.Seen> deaths = seen.stream().filter(s -> s.change.kind() == SyntheticSource.Kind.DIE).toList();
            row.put("deaths", deaths.size());
            quantiles(row, "offline", deaths, s -> s.explorer);
            row.put("explorerP99S", Results.round(quantile(seen, s -> s.explorer, 0.99), 2));
            row.put("explorerMissed", seen.stream().filter(s -> Double.isNaN(s.explorer)).count());
            row.put("fullReadKiB", Results.round(fullReadKiB, 0));
            row.put("fullReadGzKiB", Results.round(fullReadGzKiB, 0));
            row.put("replicateReadKiBPerChange", perChange(bytesAfter[0] - bytesBefore[0], changes));
            row.put("replicateDestReadKiBPerChange", perChange(bytesAfter[1] - bytesBefore[1], changes));
            row.put("explorerReadKiBPerChange", perChange(bytesAfter[2] - bytesBefore[2], changes));
            // Both scrapes must have answered: a timed-out first one would count the process's whole life.
            boolean counted = replicateStart.text().contains(REPLICATE_BYTES) && replicateEnd.text().contains(REPLICATE_BYTES);
            boolean explorerCounted = explorerStart.text().contains(EXPLORER_BYTES) && explorerEnd.text().contains(EXPLORER_BYTES);
            boolean sharded = replicateEnd.text().contains(REPLICATE_BYTES) || replicateStart.text().contains(REPLICATE_BYTES);
            row.put("decodedFrom", counted ? "metrics" : sharded ? "metrics (a scrape timed out)" : "wire x gzip ratio");
            row.put("replicateDecodedKiBPerChange", counted ? perChange((long) replicateDecoded, changes)
                    : sharded ? Double.NaN : perChange((long) ((bytesAfter[0] - bytesBefore[0]) * fullReadKiB / fullReadGzKiB), changes));
            row.put("explorerDecodedKiBPerChange", explorerCounted
                    ? perChange((long) explorerDecoded, changes) : Double.NaN);
            row.put("replicateReadMiBPerS", Results.round((bytesAfter[0] - bytesBefore[0]) / 1048576.0 / seconds, 2));
            row.put("replicateCpuPct", Results.round(replicateAfter.cpuPercentSince(replicateBefore), 1));
            row.put("replicateHeapMiBMax", Results.round(peaks.replicateHeap / 1048576.0, 0));
            row.put("replicateRssMiB", Results.round(Math.max(peaks.replicateRss, replicateAfter.rssBytes()) / 1048576.0, 0));
            row.put("replicateGcPct", Results.round(100 * (gcAfter - gcBefore) / seconds, 1));
            row.put("explorerCpuPct", Results.round(explorerAfter.cpuPercentSince(explorerBefore), 1));
            row.put("explorerHeapMiBMax", Results.round(peaks.explorerHeap / 1048576.0, 0));
            row.put("consulSourceCpuPct", Results.round(sourceAfter.cpuPercentSince(sourceBefore), 1));
            row.put("consulExplorerCpuPct", Results.round(centralAfter.cpuPercentSince(centralBefore), 1));
            row.put("load1Before", loadBefore);
            row.put("load1After", loadAfter);
            return row;
        }
    }

    /** The most heap and RSS seen while churning (scraped every 2 s). */
    private static final class Peaks {
        double replicateHeap;
        long replicateRss;
        double explorerHeap;
    }

    /**
     * Changes at {@code --rate} for {@code --window}, paced from the start (a slow write delays the
     * next one, it does not drop it): a host with a change still in flight is not picked again.
     */
    private int churn(SyntheticSource hosts, ChangeTracker tracker, Peaks peaks, Process replicate, String replicateScrape,
                      Process explorer, String explorerScrape) {
        Random random = new Random(42);
        long start = System.nanoTime();
        long end = start + config.window().toNanos();
        long interval = (long) (1e9 / config.rate());
        long nextSample = start;
        int seq = 0;
        while (System.nanoTime() < end) {
            long due = start + seq * interval;
            long now = System.nanoTime();
            if (due > now) {
                ScaleBench.pause(Duration.ofNanos(due - now)); // pacing of the writes
            }
            if (System.nanoTime() >= nextSample) {
                nextSample += Duration.ofSeconds(2).toNanos();
                sample(peaks, replicate, replicateScrape, explorer, explorerScrape);
            }
            SyntheticSource.Kind kind = random.nextDouble() < UPDATE_SHARE ? SyntheticSource.Kind.UPDATE
                    : random.nextBoolean() ? SyntheticSource.Kind.DIE : SyntheticSource.Kind.RETURN;
            int index = pick(hosts, tracker, random, kind != SyntheticSource.Kind.RETURN);
            if (index < 0 && kind == SyntheticSource.Kind.RETURN) {
                kind = SyntheticSource.Kind.DIE; // nobody dead yet
                index = pick(hosts, tracker, random, true);
            }
            if (index < 0) {
                seq++;
                continue; // every candidate in flight: skip this slot
            }
            tracker.track(hosts.apply(seq, index, kind));
            seq++;
        }
        return tracker.all().size();
    }

    /** A random host alive (or dead) with no change in flight; -1 after a bounded search. */
    private static int pick(SyntheticSource hosts, ChangeTracker tracker, Random random, boolean alive) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            int i = random.nextInt(hosts.size());
            if (hosts.alive(i) == alive && !tracker.inFlight(hosts.id(i))) {
                return i;
            }
        }
        return -1;
    }

    /** A scrape; an empty one (every value 0) when the process does not answer in time — an overloaded JVM is a result, not a crash. */
    private static Prometheus scrapeOrEmpty(String url) {
        try {
            return Prometheus.scrape(url);
        } catch (IllegalStateException e) {
            System.err.println("bench readpath: " + e.getMessage());
            return new Prometheus("");
        }
    }

    private static void sample(Peaks peaks, Process replicate, String replicateScrape, Process explorer, String explorerScrape) {
        try {
            peaks.replicateHeap = Math.max(peaks.replicateHeap,
                    Prometheus.scrape(replicateScrape).value("jvm_memory_used_bytes", "area=\"heap\""));
            peaks.explorerHeap = Math.max(peaks.explorerHeap,
                    Prometheus.scrape(explorerScrape).value("jvm_memory_used_bytes", "area=\"heap\""));
        } catch (IllegalStateException e) {
            System.err.println("bench readpath: a metrics scrape failed: " + e.getMessage());
        }
        peaks.replicateRss = Math.max(peaks.replicateRss, ProcessStats.sample(replicate.pid()).rssBytes());
    }

    private interface Condition {
        boolean met();
    }

    /** Seconds from {@code started} until {@code condition}; NaN if {@code deadline} passed first (the bench goes on). */
    private static double awaitSeconds(long started, Duration deadline, Path logs, Process process, Condition condition,
                                       String what, Duration poll) {
        while (!condition.met()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("a process exited with " + process.exitValue() + " while waiting for "
                        + what + ": see " + logs);
            }
            if (System.nanoTime() - started > deadline.toNanos()) {
                System.err.printf("bench readpath: NOT within --settle %d s: %s; churning anyway (see %s)%n",
                        deadline.toSeconds(), what, logs);
                return Double.NaN;
            }
            ScaleBench.pause(poll);
        }
        return (System.nanoTime() - started) / 1e9;
    }

    /** The size of an answer as sent: plain, or gzip-compressed when asked for; 0 when it fails. */
    private static long bodyBytes(String url, boolean gzip) {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .timeout(Duration.ofSeconds(60));
        if (gzip) {
            request.header("Accept-Encoding", "gzip"); // the JDK's client does not decode: these are wire bytes
        }
        if (Http.token != null) {
            request.header("X-Consul-Token", Http.token);
        }
        try {
            return java.net.http.HttpClient.newHttpClient().send(request.build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body().length;
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static int onlineHosts(String explorer) {
        return Http.get(explorer + "/api/nodes?kind=host&status=online&limit=1").map(b -> b.path("total").asInt()).orElse(0);
    }

    private static double perChange(long bytes, int changes) {
        return changes == 0 ? Double.NaN : Results.round(bytes / 1024.0 / changes, 1);
    }

    /** p50, p99 and max; a change never seen counts as infinitely late (so a p99 beyond the drain is "-"). */
    private static void quantiles(Map<String, Object> row, String name, List<ChangeTracker.Seen> seen,
                                  ToDoubleFunction<ChangeTracker.Seen> value) {
        row.put(name + "P50S", Results.round(quantile(seen, value, 0.5), 2));
        row.put(name + "P99S", Results.round(quantile(seen, value, 0.99), 2));
        row.put(name + "MaxS", Results.round(quantile(seen, value, 1.0), 2));
    }

    static double quantile(List<ChangeTracker.Seen> seen, ToDoubleFunction<ChangeTracker.Seen> value, double q) {
        List<Double> sorted = new ArrayList<>();
        for (ChangeTracker.Seen s : seen) {
            double v = value.applyAsDouble(s);
            sorted.add(Double.isNaN(v) ? Double.POSITIVE_INFINITY : v);
        }
        sorted.sort(Double::compare);
        return DetectionBench.quantile(sorted, q);
    }

    private static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /**
     * Decoded bytes replicate read from the source per change against hosts, from every row in
     * {@code readpath.jsonl} (the newest per size and kind of build): unsharded builds are told apart
     * by not counting their bytes themselves. Flat when the cost follows the change, rising when it
     * follows the datacenter; one whole re-read of the datacenter drawn for scale.
     */
    static void chart(Path results) throws IOException {
        Path file = results.resolve("readpath.jsonl");
        if (!Files.isRegularFile(file)) {
            return;
        }
        java.util.TreeMap<Integer, Map<String, Object>> before = new java.util.TreeMap<>();
        java.util.TreeMap<Integer, Map<String, Object>> after = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(file)) {
            Map<String, Object> row = Http.JSON.readValue(line, new com.fasterxml.jackson.core.type.TypeReference<>() { });
            int hosts = ((Number) row.get("hosts")).intValue();
            (String.valueOf(row.get("decodedFrom")).startsWith("metrics") ? after : before).put(hosts, row);
        }
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>(before.keySet());
        sizes.addAll(after.keySet());
        List<Integer> x = List.copyOf(sizes);
        Map<String, List<Double>> bytes = new LinkedHashMap<>();
        bytes.put("one whole re-read (decoded)", x.stream().map(h -> value(before.containsKey(h) ? before.get(h) : after.get(h),
                "fullReadKiB")).toList());
        bytes.put("replicate, one watch per datacenter", x.stream().map(h -> value(before.get(h), "replicateDecodedKiBPerChange")).toList());
        bytes.put("replicate, sharded watches", x.stream().map(h -> value(after.get(h), "replicateDecodedKiBPerChange")).toList());
        bytes.put("Explorer ingest, sharded watches", x.stream().map(h -> value(after.get(h), "explorerDecodedKiBPerChange")).toList());
        Charts.lines(results.resolve("readpath-bytes.png"), "Bytes read from Consul per change (decoded), 20 changes/s",
                "hosts in one datacenter", "KiB per change (log)", x, bytes, true);
    }

    private static Double value(Map<String, Object> row, String key) {
        return row != null && row.get(key) instanceof Number v ? v.doubleValue() : Double.NaN;
    }

}
