package io.edgemanifest.bench;

import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./edge bench scale}: N simulated hosts (one {@code host-agent --simulate N} process, the
 * real code path) against one Consul dev datacenter, per N: registration time, then a steady
 * window of heartbeats (rate, latency from the agent's own histogram), false expiries (checks
 * Consul found past their TTL while their host process ran), CPU and RSS of Consul and the
 * agent; then the heartbeat ceiling of that same agent, raw (wrk) and through our client.
 */
final class ScaleBench {

    private static final String HOSTS = "manifest/hosts/";
    private static final String HEARTBEAT = "edge_presence_heartbeat_seconds";

    private final Path root;
    private final Path work;
    private final Path results;
    private final List<Integer> sizes;
    private final Duration window;
    private final Duration ttl;
    private final Duration ceilingDuration;
    private final List<String> agentFlags;
    private final int consulAgents;
    /** The client agents advertise themselves and the hosts, given only the server, discover them. */
    private final boolean discover;
    private final Acl acl;

    /** Consul ACLs in the benchmark's datacenter: off, on (every host with its own token), or both, compared. */
    enum Acl {
        OFF, ON, COMPARE;

        static Acl parse(String text) {
            for (Acl mode : values()) {
                if (mode.name().equalsIgnoreCase(text)) {
                    return mode;
                }
            }
            throw new IllegalArgumentException("invalid --acl '" + text + "' (on, off or compare)");
        }
    }

    /**
     * @param consulAgents Consul client agents that carry the hosts (0: the datacenter's server agent itself)
     * @param acl          whether the datacenter runs with ACLs (each host with a token of its own policy)
     */
    ScaleBench(Path root, Path work, Path results, List<Integer> sizes, Duration window, Duration ttl,
               Duration ceilingDuration, List<String> agentFlags, int consulAgents, boolean discover, Acl acl) {
        this.consulAgents = consulAgents;
        this.discover = discover;
        this.acl = acl;
        this.root = root;
        this.work = work;
        this.results = results;
        this.sizes = sizes;
        this.window = window;
        this.ttl = ttl;
        this.ceilingDuration = ceilingDuration;
        this.agentFlags = agentFlags;
    }

    List<Map<String, Object>> run() throws IOException {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int n : sizes) {
            if (acl == Acl.COMPARE) {
                Map<String, Object> off = runOne(n, false);
                Map<String, Object> on = runOne(n, true);
                Map<String, Object> ratio = new LinkedHashMap<>();
                ratio.put("hosts", n);
                ratio.put("consulAgents", on.get("consulAgents"));
                ratio.put("ttlS", ttl.toSeconds());
                ratio.put("windowS", window.toSeconds());
                ratio.put("p99MsOff", off.get("p99Ms"));
                ratio.put("p99MsOn", on.get("p99Ms"));
                ratio.put("p99Ratio", Results.round(number(on, "p99Ms") / number(off, "p99Ms"), 2));
                ratio.put("consulCpuPctOff", off.get("consulCpuPct"));
                ratio.put("consulCpuPctOn", on.get("consulCpuPct"));
                ratio.put("consulCpuRatio", Results.round(number(on, "consulCpuPct") / number(off, "consulCpuPct"), 2));
                ratio.put("heartbeatsPerSOff", off.get("heartbeatsPerS"));
                ratio.put("heartbeatsPerSOn", on.get("heartbeatsPerS"));
                ratio.put("falseExpiriesOn", on.get("falseExpiries"));
                Results.append(results.resolve("scale-acl.jsonl"), "scale-acl", ratio);
                System.out.print(Results.table(List.of(off, on)));
                System.out.print(Results.table(List.of(ratio)));
                rows.add(on);
                continue;
            }
            Map<String, Object> row = runOne(n, acl == Acl.ON);
            rows.add(row);
            Results.append(results.resolve(consulAgents == 0 ? "scale.jsonl" : "scale-agents.jsonl"), "scale", row);
            System.out.print(Results.table(List.of(row)));
        }
        System.out.println();
        System.out.print(Results.table(rows));
        if (acl != Acl.COMPARE) {
            chart(rows);
        }
        return rows;
    }

    private static double number(Map<String, Object> row, String key) {
        Object value = row.get(key);
        return value instanceof Number number ? number.doubleValue() : Double.NaN;
    }

    private Map<String, Object> runOne(int n, boolean acls) throws IOException {
        Path dir = work.resolve("scale-" + n + (consulAgents == 0 ? "" : "-agents-" + consulAgents) + (acls ? "-acl" : ""));
        Launch.deleteTree(dir);
        Files.createDirectories(dir);
        String previousLogDir = System.setProperty("edge.test.logDir", dir.resolve("logs").toString());
        System.err.printf("bench scale: %d hosts, TTL %d s, window %d s, %s, ACLs %s%n", n, ttl.toSeconds(), window.toSeconds(),
                consulAgents == 0 ? "on the server agent" : "spread over " + consulAgents + " client agents", acls ? "on" : "off");
        List<ConsulClientAgent> clients = new ArrayList<>();
        ConsulAgent created = acls ? ConsulAgent.createWithAcls("bench") : ConsulAgent.create("bench");
        try (ConsulAgent consul = created.withLogLevel("info").start()) {
            Http.token = consul.masterToken();
            if (acls) {
                BenchTokens.provisionHosts(consul, dir.resolve("hosts"), n, List.of(consul.datacenter()));
            }
            for (int a = 0; a < consulAgents; a++) {
                ConsulClientAgent client = ConsulClientAgent.start(consul, "agent-" + (a + 1), dir, discover);
                clients.add(client);
                client.awaitJoined(consul);
            }
            // Where the hosts register (and their TTL checks live): the server, or the client agents.
            String url = clients.isEmpty() ? consul.httpUrl() : clients.get(0).url();
            // With discovery the hosts are given the server alone: every host must learn the agents.
            String hostsConsul = clients.isEmpty() || discover ? consul.httpUrl()
                    : String.join("|", clients.stream().map(ConsulClientAgent::url).toList());
            List<Long> consulPids = new ArrayList<>(List.of(consul.pid()));
            clients.forEach(c -> consulPids.add(c.pid()));
            int metricsPort = FreePorts.next();
            String metrics = "http://127.0.0.1:" + metricsPort + "/metrics";
            long started = System.nanoTime();
            Process agent = Launch.jar(root, "host-agent", agentFlags, dir.resolve("logs/host-agent.log"),
                    "--consul", hostsConsul, "--state-dir", dir.resolve("hosts").toString(), "--ttl", ttl.toSeconds() + "s",
                    "--simulate", Integer.toString(n), "--metrics", "127.0.0.1:" + metricsPort);

            // Registration: every host's key written under its session.
            Duration deadline = Duration.ofSeconds(60).plusMillis(30L * n);
            double registration = Double.NaN;
            int most = 0;
            while (System.nanoTime() - started < deadline.toNanos() && agent.isAlive()) {
                int keys = Http.keyCount(url, HOSTS);
                most = Math.max(most, keys);
                if (keys >= n) {
                    registration = (System.nanoTime() - started) / 1e9;
                    break;
                }
                pause(Duration.ofMillis(250));
            }
            if (!agent.isAlive()) {
                throw new IllegalStateException("host-agent exited with " + agent.exitValue() + ": see " + dir.resolve("logs"));
            }
            System.err.printf("bench scale: %s%n", Double.isNaN(registration)
                    ? "not all registered within " + deadline.toSeconds() + " s (most " + most + ")"
                    : n + " registered in " + Results.round(registration, 1) + " s");
            // Let the start-up herd settle for one TTL before measuring the steady state.
            pause(ttl);

            Prometheus before = Prometheus.scrape(metrics);
            List<ProcessStats.Sample> consulBefore = consulPids.stream().map(ProcessStats::sample).toList();
            ProcessStats.Sample agentBefore = ProcessStats.sample(agent.pid());
            int minKeys = Integer.MAX_VALUE;
            long peakConsulRss = 0;
            long peakAgentRss = 0;
            long windowEnd = System.nanoTime() + window.toNanos();
            while (System.nanoTime() < windowEnd) {
                pause(Duration.ofMillis(Math.min(5_000, Math.max(1, (windowEnd - System.nanoTime()) / 1_000_000))));
                minKeys = Math.min(minKeys, Http.keyCount(url, HOSTS));
                peakConsulRss = Math.max(peakConsulRss, consulPids.stream().mapToLong(p -> ProcessStats.sample(p).rssBytes()).sum());
                peakAgentRss = Math.max(peakAgentRss, ProcessStats.sample(agent.pid()).rssBytes());
            }
            Prometheus after = Prometheus.scrape(metrics);
            List<ProcessStats.Sample> consulAfter = consulPids.stream().map(ProcessStats::sample).toList();
            double consulCpu = 0;
            for (int p = 0; p < consulPids.size(); p++) {
                consulCpu += consulAfter.get(p).cpuPercentSince(consulBefore.get(p));
            }
            ProcessStats.Sample agentAfter = ProcessStats.sample(agent.pid());
            long missedTtl = countLines(consul.logFile(), "Check missed TTL");
            for (ConsulClientAgent client : clients) {
                missedTtl += countLines(dir.resolve("logs").resolve(client.name() + ".log"), "Check missed TTL");
            }

            Histogram beats = after.histogram(HEARTBEAT).minus(before.histogram(HEARTBEAT));
            double seconds = (agentAfter.nanoTime() - agentBefore.nanoTime()) / 1e9;
            double agentCpu = agentAfter.cpuPercentSince(agentBefore);
            double agentRssMib = agentAfter.rssBytes() / 1048576.0;

            // How evenly the hosts spread: services per client agent, before the hosts go.
            List<Integer> perAgent = new ArrayList<>();
            for (ConsulClientAgent client : clients) {
                int[] count = {0};
                Http.get(client.url() + "/v1/agent/services").ifPresent(services -> services.fieldNames().forEachRemaining(id -> {
                    if (id.startsWith("host-")) {
                        count[0]++;
                    }
                }));
                perAgent.add(count[0]);
            }

            // The ceiling: the same agent, the same checks, passed by wrk and by our client (the first agent's share).
            Launch.kill(agent);
            List<String> checkIds = new ArrayList<>();
            Http.get(url + "/v1/agent/checks").ifPresent(checks -> checks.fieldNames().forEachRemaining(id -> {
                if (id.startsWith("service:host-")) {
                    checkIds.add(id);
                }
            }));
            double raw = Double.NaN;
            double ours = Double.NaN;
            if (!checkIds.isEmpty()) {
                raw = HeartbeatCeiling.wrk(url, checkIds, 16, ceilingDuration, dir);
                ours = HeartbeatCeiling.ours(url, checkIds, 16, ceilingDuration);
            }

            Map<String, Object> row = new LinkedHashMap<>();
            row.put("hosts", n);
            row.put("acl", acls);
            row.put("consulAgents", consulAgents == 0 ? "server" : consulAgents + " clients");
            row.put("spread", consulAgents == 0 ? "none" : discover ? "discovered" : "listed");
            row.put("hostsPerAgentMin", perAgent.stream().mapToInt(Integer::intValue).min().orElse(n));
            row.put("hostsPerAgentMax", perAgent.stream().mapToInt(Integer::intValue).max().orElse(n));
            row.put("heartbeatS", CheckSpec.Ttl.of(ttl).heartbeat().toMillis() / 1000.0);
            row.put("ttlS", ttl.toSeconds());
            row.put("windowS", window.toSeconds());
            row.put("registrationS", Results.round(registration, 1));
            row.put("keysMinInWindow", minKeys == Integer.MAX_VALUE ? most : minKeys);
            row.put("heartbeatsPerS", Results.round(beats.count() / seconds, 1));
            row.put("neededPerS", Results.round(n / (CheckSpec.Ttl.of(ttl).heartbeat().toMillis() / 1000.0), 1));
            row.put("p50Ms", Results.round(beats.quantile(0.5) * 1000, 2));
            row.put("p99Ms", Results.round(beats.quantile(0.99) * 1000, 2));
            row.put("failedBeats", (long) (after.value("edge_presence_heartbeat_failures_total")
                    - before.value("edge_presence_heartbeat_failures_total")));
            row.put("falseExpiries", missedTtl);
            row.put("sessionsLost", (long) after.value("edge_presence_sessions_lost_total"));
            row.put("consulCpuPct", Results.round(consulCpu, 1));
            // CPU time per heartbeat (ms), Consul's and the load generator's: the fixed cost per call.
            row.put("consulCpuMsPerBeat", Results.round(consulCpu * 10 / (beats.count() / seconds), 3));
            row.put("agentCpuMsPerBeat", Results.round(agentCpu * 10 / (beats.count() / seconds), 3));
            row.put("consulRssMiB", Results.round(peakConsulRss / 1048576.0, 0));
            row.put("agentCpuPct", Results.round(agentCpu, 1));
            row.put("agentRssMiB", Results.round(Math.max(peakAgentRss, agentAfter.rssBytes()) / 1048576.0, 0));
            row.put("agentCpuPctPer1k", Results.round(agentCpu * 1000 / n, 2));
            row.put("agentRssMiBPer1k", Results.round(agentRssMib * 1000 / n, 1));
            // The machine is shared: the load around a figure is part of it.
            row.put("loadAvg1m", Results.round(loadAverage(), 2));
            row.put("rawCeilingPerS", Results.round(raw, 0));
            row.put("ourPathPerS", Results.round(ours, 0));
            row.put("ourShareOfRaw", Results.round(ours / raw, 2));
            return row;
        } finally {
            Http.token = null;
            Launch.restoreLogDir(previousLogDir);
            clients.forEach(ConsulClientAgent::close);
            Launch.killAll();
            Launch.deleteTree(dir.resolve("hosts"));
        }
    }

    /** The 1-minute load average of the machine (NaN where /proc has none). */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private void chart(List<Map<String, Object>> rows) {
        if (consulAgents > 0) {
            return; // the charts show the one-agent series; a spread run is read from its table
        }
        chart(results, ttl.toSeconds(), rows);
    }

    /** The three scale charts (latency, CPU, throughput against hosts) from rows of one run. */
    static void chart(Path results, long ttlSeconds, List<Map<String, Object>> rows) {
        List<Integer> x = rows.stream().map(r -> ((Number) r.get("hosts")).intValue()).toList();
        Map<String, List<Double>> latency = new LinkedHashMap<>();
        latency.put("p50", column(rows, "p50Ms"));
        latency.put("p99", column(rows, "p99Ms"));
        Charts.lines(results.resolve("scale-latency.png"), "Heartbeat latency, one Consul agent (TTL " + ttlSeconds + " s)",
                "hosts in one datacenter", "ms", x, latency);
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        cpu.put("Consul agent", column(rows, "consulCpuPct"));
        cpu.put("host-agent --simulate", column(rows, "agentCpuPct"));
        Charts.lines(results.resolve("scale-cpu.png"), "CPU, % of one core (the machine has "
                + Runtime.getRuntime().availableProcessors() + ")", "hosts in one datacenter", "% CPU", x, cpu);
        Map<String, List<Double>> beats = new LinkedHashMap<>();
        beats.put("needed (N / heartbeat)", column(rows, "neededPerS"));
        beats.put("sustained", column(rows, "heartbeatsPerS"));
        beats.put("raw ceiling (wrk, 16 conns)", column(rows, "rawCeilingPerS"));
        beats.put("our client, closed loop", column(rows, "ourPathPerS"));
        Charts.lines(results.resolve("scale-throughput.png"), "Heartbeats per second, one Consul agent",
                "hosts in one datacenter", "heartbeats/s", x, beats);
    }

    private static List<Double> column(List<Map<String, Object>> rows, String key) {
        return rows.stream().map(r -> r.get(key) instanceof Number v ? v.doubleValue() : Double.NaN).toList();
    }

    static long countLines(Path file, String needle) {
        try (var lines = Files.lines(file)) {
            return lines.filter(l -> l.contains(needle)).count();
        } catch (IOException | java.io.UncheckedIOException e) {
            return -1;
        }
    }

    static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis()); // benchmark pacing between samples, not synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

}
