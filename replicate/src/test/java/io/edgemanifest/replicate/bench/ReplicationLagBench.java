package io.edgemanifest.replicate.bench;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.replicate.ReplicateSettings;
import io.edgemanifest.replicate.Replicator;
import io.edgemanifest.replicate.SourceSpec;
import io.edgemanifest.testing.ConsulDatacenters;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.QueryOptions;

/**
 * Replication lag: writes at a fixed rate spread over three source datacenters and measures, per
 * write, the time until the value is visible in the replica (seen through a blocking query on the
 * destination). Also measures the raw cost of one KV write to the same Consul, for scale.
 * Not a test: run with {@code ./edge bench replication}; results go to bench/results/.
 */
public final class ReplicationLagBench {

    private static final int KEYS_PER_SOURCE = 50;
    private static final List<String> SOURCES = List.of("sg-a", "sg-b", "sg-c");

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        List<Integer> rates = args.length > 1 ? Arrays.stream(args[1].split(",")).map(Integer::parseInt).toList()
                : List.of(100, 1000);
        Path out = Path.of(args.length > 2 ? args[2] : "bench/results/replication.jsonl");
        Files.createDirectories(out.toAbsolutePath().getParent());
        try (ConsulDatacenters dcs = ConsulDatacenters.start("explorer", "sg-a", "sg-b", "sg-c")) {
            List<SourceSpec> specs = SOURCES.stream()
                    .map(dc -> SourceSpec.parse(dc + "=" + dcs.get(dc).httpUrl(), null)).toList();
            Replicator replicator = new Replicator(new Replicator.ReplicateConfig(
                    ConsulEndpoint.parse(dcs.get("explorer").httpUrl(), null), specs,
                    new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(30), 0.5, 100,
                            Duration.ofSeconds(3), Duration.ofSeconds(5)),
                    Duration.ofSeconds(10), Duration.ofMillis(500))).start();
            try {
                while (replicator.held().size() < SOURCES.size()) {
                    Thread.sleep(100);
                }
                double[] raw = rawWrites(dcs.get("sg-a").httpUrl(), 2000);
                System.out.printf("raw KV write to one dev Consul (sequential, n=2000): p50 %.2f ms, p99 %.2f ms%n",
                        pct(raw, 50), pct(raw, 99));
                System.out.println("| changes/s | sent | seen | lag p50 ms | lag p99 ms | lag max ms |");
                System.out.println("|---|---|---|---|---|---|");
                for (int rate : rates) {
                    double[] lags = run(dcs, rate, seconds);
                    int sent = rate * seconds;
                    System.out.printf("| %d | %d | %d | %.1f | %.1f | %.1f |%n", rate, sent, lags.length,
                            pct(lags, 50), pct(lags, 99), lags.length == 0 ? 0 : lags[lags.length - 1]);
                    String json = String.format(java.util.Locale.ROOT,
                            "{\"scenario\":\"replication\",\"date\":\"%s\",\"rate\":%d,\"seconds\":%d,\"sent\":%d,"
                                    + "\"seen\":%d,\"lagP50Ms\":%.2f,\"lagP99Ms\":%.2f,\"rawWriteP50Ms\":%.3f,\"rawWriteP99Ms\":%.3f,"
                                    + "\"cores\":%d}%n",
                            Instant.now(), rate, seconds, sent, lags.length, pct(lags, 50), pct(lags, 99),
                            pct(raw, 50), pct(raw, 99), Runtime.getRuntime().availableProcessors());
                    Files.writeString(out, json, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                }
            } finally {
                replicator.close();
            }
        }
    }

    private static double[] rawWrites(String url, int n) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            http.send(HttpRequest.newBuilder(URI.create(url + "/v1/kv/bench/raw")).PUT(
                    HttpRequest.BodyPublishers.ofString("v" + i)).build(), HttpResponse.BodyHandlers.discarding());
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    /** Writes {@code rate}/s for {@code seconds}, one writer thread per source; returns sorted lags in ms. */
    private static double[] run(ConsulDatacenters dcs, int rate, int seconds) throws Exception {
        Map<String, Long> sentAt = new ConcurrentHashMap<>(); // "dc|seq" -> nanoTime
        List<Double> lags = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean watching = new AtomicBoolean(true);
        String runId = "r" + rate + "-" + System.nanoTime();
        Consul dest = Consul.builder().withUrl(dcs.get("explorer").httpUrl()).withPing(false).withReadTimeoutMillis(20_000).build();
        Thread watcher = Thread.ofPlatform().daemon().start(() -> watch(dest, runId, sentAt, lags, watching));
        List<Thread> writers = new ArrayList<>();
        for (String dc : SOURCES) {
            String url = dcs.get(dc).httpUrl();
            writers.add(Thread.ofPlatform().start(() -> write(url, dc, runId, rate / SOURCES.size(), seconds, sentAt)));
        }
        for (Thread w : writers) {
            w.join();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (lags.size() < sentAt.size() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        watching.set(false);
        watcher.interrupt();
        dest.destroy();
        double[] sorted = lags.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted;
    }

    private static void write(String url, String dc, String runId, int perSecond, int seconds, Map<String, Long> sentAt) {
        HttpClient http = HttpClient.newHttpClient();
        long interval = 1_000_000_000L / perSecond;
        long start = System.nanoTime();
        int total = perSecond * seconds;
        for (int seq = 0; seq < total; seq++) {
            long due = start + seq * interval;
            long now;
            while ((now = System.nanoTime()) < due) {
                java.util.concurrent.locks.LockSupport.parkNanos(due - now);
            }
            String key = "manifest/bench/" + runId + "/k" + (seq % KEYS_PER_SOURCE);
            sentAt.put(dc + "|" + seq, System.nanoTime());
            try {
                http.send(HttpRequest.newBuilder(URI.create(url + "/v1/kv/" + key)).PUT(
                        HttpRequest.BodyPublishers.ofString(Integer.toString(seq))).build(), HttpResponse.BodyHandlers.discarding());
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** Blocking queries on the replica: each newly seen value (a sequence number) is one arrival. */
    private static void watch(Consul dest, String runId, Map<String, Long> sentAt, List<Double> lags, AtomicBoolean watching) {
        BigInteger index = BigInteger.ZERO;
        Map<String, String> last = new ConcurrentHashMap<>();
        java.util.Set<String> seen = ConcurrentHashMap.newKeySet();
        while (watching.get()) {
            try {
                var response = dest.keyValueClient().getConsulResponseWithValues("replica/",
                        index.signum() == 0 ? QueryOptions.BLANK : QueryOptions.blockSeconds(5, index).build());
                long now = System.nanoTime();
                index = response.getIndex();
                for (Value v : response.getResponse() == null ? List.<Value>of() : response.getResponse()) {
                    if (!v.getKey().contains("/manifest/bench/" + runId + "/")) {
                        continue;
                    }
                    String dc = v.getKey().substring("replica/".length(), v.getKey().indexOf("/kv/"));
                    String value = v.getValueAsString().orElse("");
                    if (value.equals(last.put(v.getKey(), value))) {
                        continue;
                    }
                    String id = dc + "|" + value;
                    Long sent = sentAt.get(id);
                    if (sent != null && seen.add(id)) {
                        lags.add((now - sent) / 1e6);
                    }
                }
            } catch (RuntimeException e) {
                if (!watching.get()) {
                    return;
                }
            }
        }
    }

    private static double pct(double[] sorted, int p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
