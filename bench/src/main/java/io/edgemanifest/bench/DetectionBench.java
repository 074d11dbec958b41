package io.edgemanifest.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.testing.ConsulDatacenters;
import io.edgemanifest.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ./edge bench detection}: a Stargate datacenter, the Explorer's Consul, replicate and the
 * Explorer, all real processes; K hosts (one process) are killed with SIGKILL at once beside
 * bystanders that stay up. Per victim: seconds from the kill until its key is gone at the source,
 * gone from the replica, and the Explorer says offline. The floor is the TTL: a host's check
 * expires TTL after its last heartbeat, which came up to TTL/2 before the kill.
 */
final class DetectionBench {

    private final Path root;
    private final Path work;
    private final Path results;
    private final int kill;
    private final int bystanders;
    private final Duration ttl;
    private final List<String> flags;

    DetectionBench(Path root, Path work, Path results, int kill, int bystanders, Duration ttl, List<String> flags) {
        this.root = root;
        this.work = work;
        this.results = results;
        this.kill = kill;
        this.bystanders = bystanders;
        this.ttl = ttl;
        this.flags = flags;
    }

    void run() throws IOException {
        Path dir = work.resolve("detection");
        Launch.deleteTree(dir);
        Files.createDirectories(dir);
        String previousLogDir = System.setProperty("edge.test.logDir", dir.resolve("logs").toString());
        // As production runs: ACLs on, the Explorer's datacenter the primary, a token per process and host.
        try (ConsulDatacenters dcs = ConsulDatacenters.startWithAcls("explorer", "dc1")) {
            String source = dcs.get("dc1").httpUrl();
            String central = dcs.get("explorer").httpUrl();
            Path logs = dir.resolve("logs");
            Http.token = dcs.get("explorer").masterToken();
            BenchTokens.rolePolicies(dcs.get("explorer"));
            Path secrets = dir.resolve("secrets");
            Launch.jar(root, "replicate", flags, logs.resolve("replicate.log"),
                    "--consul", central, "--source", "dc1=" + source, "--metrics", "127.0.0.1:0",
                    "--token-file", BenchTokens.roleToken(dcs.get("explorer"), AclPolicies.Role.REPLICATE, secrets).toString());
            int port = FreePorts.next();
            String explorer = "http://127.0.0.1:" + port;
            Launch.jar(root, "network-explorer", List.of(), logs.resolve("network-explorer.log"),
                    "--consul", central, "--port", Integer.toString(port), "--data-dir", dir.resolve("explorer").toString(),
                    "--token-file", BenchTokens.roleToken(dcs.get("explorer"), AclPolicies.Role.EXPLORER, secrets).toString());
            if (bystanders > 0) {
                BenchTokens.provisionHosts(dcs.get("explorer"), dir.resolve("bystanders"), bystanders, List.of("dc1"));
                hosts(source, dir.resolve("bystanders"), bystanders, logs.resolve("bystanders.log"));
            }
            BenchTokens.provisionHosts(dcs.get("explorer"), dir.resolve("victims"), kill, List.of("dc1"));
            Process victims = hosts(source, dir.resolve("victims"), kill, logs.resolve("victims.log"));

            int all = kill + bystanders;
            long deadline = System.nanoTime() + Duration.ofSeconds(120).plusMillis(20L * all).toNanos();
            while (onlineHosts(explorer) < all) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the Explorer did not show " + all + " hosts online: see " + logs);
                }
                ScaleBench.pause(Duration.ofMillis(500));
            }
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < kill; i++) {
                ids.add(Files.readString(dir.resolve("victims").resolve("sim-" + i).resolve("node-id")).strip());
            }
            System.err.printf("bench detection: %d hosts online in the Explorer; killing %d at once (TTL %d s)%n",
                    all, kill, ttl.toSeconds());
            // Heartbeats are spread over the tick: kill at an arbitrary moment, as a power cut would.
            ScaleBench.pause(ttl);

            Map<String, Double> atSource = new ConcurrentHashMap<>();
            Map<String, Double> inReplica = new ConcurrentHashMap<>();
            Map<String, Double> inExplorer = new ConcurrentHashMap<>();
            long killedAt = System.nanoTime();
            Launch.kill(victims);
            long end = killedAt + ttl.plusSeconds(90).toNanos();
            List<Thread> trackers = List.of(
                    Thread.ofPlatform().name("source").start(() -> trackKeys(source, "manifest/hosts/", ids, atSource, killedAt, end)),
                    Thread.ofPlatform().name("replica").start(() -> trackKeys(central, "replica/dc1/kv/manifest/hosts/", ids,
                            inReplica, killedAt, end)),
                    Thread.ofPlatform().name("explorer").start(() -> trackOffline(explorer, ids, inExplorer, killedAt, end)));
            for (Thread t : trackers) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            Map<String, Object> row = new LinkedHashMap<>();
            row.put("killed", kill);
            row.put("bystanders", bystanders);
            row.put("ttlS", ttl.toSeconds());
            put(row, "source", atSource);
            put(row, "replica", inReplica);
            put(row, "explorer", inExplorer);
            row.put("goalSourceP99S", ttl.toSeconds() + 1);
            row.put("goalExplorerP99S", ttl.toSeconds() + 3);
            Results.append(results.resolve("detection.jsonl"), "detection", row);
            System.out.print(Results.table(List.of(row)));
        } finally {
            Http.token = null;
            Launch.restoreLogDir(previousLogDir);
            Launch.killAll();
        }
    }

    private Process hosts(String consul, Path stateDir, int n, Path log) {
        return Launch.jar(root, "host-agent", flags, log, "--consul", consul, "--state-dir", stateDir.toString(),
                "--ttl", ttl.toSeconds() + "s", "--simulate", Integer.toString(n));
    }

    private static int onlineHosts(String explorer) {
        return Http.get(explorer + "/api/nodes?kind=host&status=online&limit=1").map(b -> b.path("total").asInt()).orElse(0);
    }

    /** Blocking queries on the key list: each answer comes as soon as the list changes. */
    private static void trackKeys(String consul, String prefix, Set<String> ids, Map<String, Double> gone,
                                  long killedAt, long end) {
        long index = 0;
        while (gone.size() < ids.size() && System.nanoTime() < end) {
            var answer = Http.get(consul + "/v1/kv/" + prefix + "?keys&wait=5s&index=" + index, Duration.ofSeconds(15));
            if (answer.isEmpty()) {
                ScaleBench.pause(Duration.ofMillis(100));
                continue;
            }
            double at = (System.nanoTime() - killedAt) / 1e9;
            Set<String> present = new HashSet<>();
            for (JsonNode key : answer.get().body()) {
                String k = key.asText();
                present.add(k.substring(k.lastIndexOf('/') + 1));
            }
            for (String id : ids) {
                if (!present.contains(id)) {
                    gone.putIfAbsent(id, at);
                }
            }
            index = answer.get().index() < index ? 0 : answer.get().index();
        }
    }

    /** The Explorer has no push API: poll its offline list every 100 ms. */
    private static void trackOffline(String explorer, Set<String> ids, Map<String, Double> offline, long killedAt, long end) {
        while (offline.size() < ids.size() && System.nanoTime() < end) {
            String cursor = null;
            do {
                var page = Http.get(explorer + "/api/nodes?kind=host&status=offline&limit=1000"
                        + (cursor == null ? "" : "&cursor=" + java.net.URLEncoder.encode(cursor, java.nio.charset.StandardCharsets.UTF_8)));
                if (page.isEmpty()) {
                    break;
                }
                double at = (System.nanoTime() - killedAt) / 1e9;
                for (JsonNode item : page.get().path("items")) {
                    String id = item.path("id").asText();
                    if (ids.contains(id)) {
                        offline.putIfAbsent(id, at);
                    }
                }
                cursor = page.get().path("nextCursor").isTextual() ? page.get().path("nextCursor").asText() : null;
            } while (cursor != null);
            ScaleBench.pause(Duration.ofMillis(100));
        }
    }

    private void put(Map<String, Object> row, String stage, Map<String, Double> seconds) {
        List<Double> sorted = new ArrayList<>(seconds.values());
        sorted.sort(Double::compare);
        row.put(stage + "P50S", Results.round(quantile(sorted, 0.5), 2));
        row.put(stage + "P99S", Results.round(quantile(sorted, 0.99), 2));
        row.put(stage + "MaxS", Results.round(sorted.isEmpty() ? Double.NaN : sorted.get(sorted.size() - 1), 2));
        row.put(stage + "Missed", kill - sorted.size());
    }

    /** Nearest-rank quantile of sorted values; NaN when empty. */
    static double quantile(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
