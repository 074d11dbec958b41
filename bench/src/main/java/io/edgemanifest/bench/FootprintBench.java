package io.edgemanifest.bench;

import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulBinary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./edge bench footprint}: what one idle node costs its operator. One real host-agent
 * process per JVM configuration (the JVM's defaults, the launcher's flags, the launcher's flags
 * with an application class-data archive), and — the alternative an operator would otherwise run
 * — a Consul client agent joined to the same datacenter. Each: start until present (key written
 * / member alive), then RSS and CPU over an idle window.
 */
final class FootprintBench {

    private final Path root;
    private final Path work;
    private final Path results;
    private final Duration idle;
    private final List<String> launcherFlags;

    FootprintBench(Path root, Path work, Path results, Duration idle, List<String> launcherFlags) {
        this.root = root;
        this.work = work;
        this.results = results;
        this.idle = idle;
        this.launcherFlags = launcherFlags;
    }

    void run() throws IOException {
        Path dir = work.resolve("footprint");
        Launch.deleteTree(dir);
        Files.createDirectories(dir);
        String previousLogDir = System.setProperty("edge.test.logDir", dir.resolve("logs").toString());
        List<Map<String, Object>> rows = new ArrayList<>();
        // ACLs on, as production runs: the host holds a token of its own (as after enrolment).
        try (ConsulAgent consul = ConsulAgent.createWithAcls("fp").withLogLevel("info").start()) {
            Http.token = consul.masterToken();
            hostTokens = consul;
            String url = consul.httpUrl();
            Path jsa = dir.resolve("host-agent.jsa");
            List<String> cds = new ArrayList<>(launcherFlags);
            cds.add("-XX:SharedArchiveFile=" + jsa);
            cds.add("-XX:+AutoCreateSharedArchive");
            cds.add("-Xlog:cds*=off");
            rows.add(hostAgent(url, dir, "JVM defaults", List.of()));
            rows.add(hostAgent(url, dir, "launcher flags", launcherFlags));
            hostAgent(url, dir, "(creates the CDS archive)", cds); // dumped at exit, used from the next start
            rows.add(hostAgent(url, dir, "launcher flags + CDS", cds));
            rows.add(consulClient(consul, dir));
        } finally {
            Http.token = null;
            Launch.restoreLogDir(previousLogDir);
            Launch.killAll();
        }
        Map<String, Object> consulRow = rows.get(rows.size() - 1);
        for (Map<String, Object> row : rows) {
            row.put("rssVsConsulClient", Results.round((Double) row.get("rssMiB") / (Double) consulRow.get("rssMiB"), 2));
            Results.append(results.resolve("footprint.jsonl"), "footprint", row);
        }
        System.out.print(Results.table(rows));
    }

    private ConsulAgent hostTokens;

    private Map<String, Object> hostAgent(String consul, Path dir, String name, List<String> flags) throws IOException {
        Path state = dir.resolve("host-" + Integer.toHexString(name.hashCode()));
        BenchTokens.provisionHost(hostTokens, state, List.of(hostTokens.datacenter()));
        System.err.println("bench footprint: host-agent, " + name);
        long started = System.nanoTime();
        Process agent = Launch.jar(root, "host-agent", flags, dir.resolve("logs").resolve("host-agent.log"),
                "--consul", consul, "--state-dir", state.toString(), "--ttl", "15s");
        double present = awaitSeconds(started, () -> Http.keyCount(consul, "manifest/hosts/") >= 1, agent);
        Map<String, Object> row = idleRow("host-agent", name, String.join(" ", flags), present, agent.pid());
        Launch.stop(agent, 20);
        awaitSeconds(System.nanoTime(), () -> Http.keyCount(consul, "manifest/hosts/") == 0, null);
        return row;
    }

    private Map<String, Object> consulClient(ConsulAgent server, Path dir) throws IOException {
        System.err.println("bench footprint: consul client agent");
        try (ConsulClientAgent client = ConsulClientAgent.start(server, "fp-client", dir)) {
            double joined = client.awaitJoined(server);
            return idleRow("consul client agent", "consul " + ConsulBinary.version(ConsulBinary.locate())
                    .map(Object::toString).orElse("?"), "", joined, client.pid());
        }
    }

    private Map<String, Object> idleRow(String what, String config, String flags, double startS, long pid) {
        ScaleBench.pause(Duration.ofSeconds(5)); // past start-up work (JIT, first syncs)
        ProcessStats.Sample before = ProcessStats.sample(pid);
        ScaleBench.pause(idle);
        ProcessStats.Sample after = ProcessStats.sample(pid);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("process", what);
        row.put("config", config);
        row.put("startToPresentS", Results.round(startS, 2));
        row.put("rssMiB", Results.round(after.rssBytes() / 1048576.0, 1));
        row.put("peakRssMiB", Results.round(after.peakRssBytes() / 1048576.0, 1));
        row.put("idleCpuPct", Results.round(after.cpuPercentSince(before), 2));
        row.put("cpuSPerMin", Results.round((after.cpuSeconds() - before.cpuSeconds()) * 60e9
                / (after.nanoTime() - before.nanoTime()), 2));
        row.put("flags", flags);
        return row;
    }

    private static double awaitSeconds(long started, java.util.function.BooleanSupplier done, Process process) {
        long deadline = started + Duration.ofSeconds(60).toNanos();
        while (!done.getAsBoolean()) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException("process exited with " + process.exitValue() + " before it was present");
            }
            if (System.nanoTime() > deadline) {
                return Double.NaN;
            }
            ScaleBench.pause(Duration.ofMillis(20));
        }
        return (System.nanoTime() - started) / 1e9;
    }
}
