package io.edgemanifest.bench;

import io.edgemanifest.core.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./edge bench <scenario>}: each scenario prints a table and appends JSON lines under bench/results/. */
@Command(name = "edge bench", mixinStandardHelpOptions = true, subcommands = {
        BenchMain.Scale.class, BenchMain.Detection.class, BenchMain.Footprint.class, BenchMain.ReadPath.class, BenchMain.ScaleCharts.class})
public final class BenchMain implements Callable<Integer> {

    @Option(names = "--root", defaultValue = ".", description = "The project checkout (jars under <module>/target).")
    Path root;

    @Override
    public Integer call() {
        Cli.commandLine(this).usage(System.out);
        return Cli.USAGE;
    }

    @Option(names = "--results", description = "Where JSON lines and charts go. Default: <root>/bench/results")
    Path results;

    Path results() {
        return results != null ? results : root.resolve("bench").resolve("results");
    }

    Path work() throws java.io.IOException {
        return Files.createDirectories(root.resolve("bench").resolve("target").resolve("work"));
    }

    /** The JVM flags the host-agent launcher uses ({@code host-agent/jvm.options}, one per line, '#' comments). */
    static List<String> launcherFlags(Path root) throws java.io.IOException {
        Path file = root.resolve("host-agent").resolve("jvm.options");
        return Files.readAllLines(file).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    static void requirePositive(Duration d, String flag) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("invalid " + flag + " " + d + " (must be positive)");
        }
    }

    @Command(name = "scale", mixinStandardHelpOptions = true, description = "N simulated hosts against one Consul datacenter: heartbeats, latency, expiries, CPU, RSS, ceiling.")
    static final class Scale implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchMain parent;

        @Option(names = "--hosts", split = ",", defaultValue = "1000,5000,10000", description = "Sizes. Default: ${DEFAULT-VALUE}")
        List<Integer> hosts;

        @Option(names = "--window", defaultValue = "5m", description = "Steady-state window per size. Default: ${DEFAULT-VALUE}")
        Duration window;

        @Option(names = "--ttl", defaultValue = "15s", description = "Hosts' TTL. Default: ${DEFAULT-VALUE}")
        Duration ttl;

        @Option(names = "--consul-agents", defaultValue = "0",
                description = "Spread the hosts over this many Consul client agents of the datacenter (0: all on its server agent). Default: ${DEFAULT-VALUE}")
        int consulAgents;

        @Option(names = "--ceiling", defaultValue = "20s", description = "Duration of each ceiling run. Default: ${DEFAULT-VALUE}")
        Duration ceiling;

        @Option(names = "--discover",
                description = "With --consul-agents: the client agents advertise themselves (node meta edge-host-url) and the hosts "
                        + "are given only the server's URL, so they find and spread over the agents themselves (#15). "
                        + "Without: the hosts are given every agent's URL.")
        boolean discover;

        @Option(names = "--acl", defaultValue = "on",
                description = "Consul ACLs: on (every host with a token of its own, as production runs), off, or compare "
                        + "(each size without then with ACLs: p99 and Consul CPU as ratios, in scale-acl.jsonl). Default: ${DEFAULT-VALUE}")
        String acl;

        @Override
        public Integer call() throws Exception {
            for (int n : hosts) {
                if (n < 1 || n > 100_000) {
                    throw new IllegalArgumentException("invalid --hosts " + n + " (1 to 100000)");
                }
            }
            if (consulAgents < 0 || consulAgents > 16) {
                throw new IllegalArgumentException("invalid --consul-agents " + consulAgents + " (0 to 16)");
            }
            if (discover && consulAgents == 0) {
                throw new IllegalArgumentException("invalid --discover without --consul-agents (the server agent does not advertise itself)");
            }
            requirePositive(window, "--window");
            requirePositive(ttl, "--ttl");
            requirePositive(ceiling, "--ceiling");
            // A load generator of thousands of hosts, not one host: the JVM's defaults, not the launcher's small heap.
            ScaleBench.Acl mode = ScaleBench.Acl.parse(acl);
            new ScaleBench(parent.root, parent.work(), parent.results(), hosts, window, ttl, ceiling, List.of(),
                    consulAgents, discover, mode).run();
            return 0;
        }
    }

    @Command(name = "detection", mixinStandardHelpOptions = true, description = "Kill hosts at once: time until gone at the source, in the replica, offline in the Explorer.")
    static final class Detection implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchMain parent;

        @Option(names = "--kill", defaultValue = "100", description = "Hosts killed at once. Default: ${DEFAULT-VALUE}")
        int kill;

        @Option(names = "--bystanders", defaultValue = "100", description = "Hosts that stay up. Default: ${DEFAULT-VALUE}")
        int bystanders;

        @Option(names = "--ttl", defaultValue = "15s", description = "Hosts' TTL. Default: ${DEFAULT-VALUE}")
        Duration ttl;

        @Override
        public Integer call() throws Exception {
            if (kill < 1 || kill > 10_000 || bystanders < 0 || bystanders > 10_000) {
                throw new IllegalArgumentException("invalid --kill " + kill + " / --bystanders " + bystanders + " (1..10000 / 0..10000)");
            }
            requirePositive(ttl, "--ttl");
            new DetectionBench(parent.root, parent.work(), parent.results(), kill, bystanders, ttl, List.of()).run();
            return 0;
        }
    }

    @Command(name = "footprint", mixinStandardHelpOptions = true, description = "One idle host-agent (default and launcher JVM flags) against a Consul client agent.")
    static final class Footprint implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchMain parent;

        @Option(names = "--idle", defaultValue = "60s", description = "Idle time measured. Default: ${DEFAULT-VALUE}")
        Duration idle;

        @Override
        public Integer call() throws Exception {
            requirePositive(idle, "--idle");
            new FootprintBench(parent.root, parent.work(), parent.results(), idle, launcherFlags(parent.root)).run();
            return 0;
        }
    }

    @Command(name = "readpath", mixinStandardHelpOptions = true,
            description = "N hosts written straight into a Stargate datacenter, churned: replication lag, Explorer detection, "
                    + "bytes read from Consul per change, CPU and heap of replicate and the Explorer.")
    static final class ReadPath implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchMain parent;

        @Option(names = "--hosts", split = ",", defaultValue = "100000",
                description = "Hosts in the datacenter; a list (10000,30000,100000) draws cost against hosts. Default: ${DEFAULT-VALUE}")
        List<Integer> hosts;

        @Option(names = "--rate", defaultValue = "20", description = "Changes per second at the source. Default: ${DEFAULT-VALUE}")
        double rate;

        @Option(names = "--window", defaultValue = "60s", description = "How long the churn lasts per size. Default: ${DEFAULT-VALUE}")
        Duration window;

        @Option(names = "--drain", defaultValue = "60s",
                description = "After the window, how long changes still on their way are waited for (later: missed). Default: ${DEFAULT-VALUE}")
        Duration drain;

        @Option(names = "--settle", defaultValue = "10m",
                description = "Longest wait for the replica and the Explorer to hold every host before the churn (then it churns anyway). Default: ${DEFAULT-VALUE}")
        Duration settle;

        @Option(names = "--acl", defaultValue = "on", description = "Consul ACLs: on (a token per process, as production) or off. Default: ${DEFAULT-VALUE}")
        String acl;

        @Option(names = "--hosts-per-node", defaultValue = "1000",
                description = "Hosts per catalog node (Consul agent) at the source: 10,000 hosts make 10 nodes. Default: ${DEFAULT-VALUE}")
        int hostsPerNode;

        @Override
        public Integer call() throws Exception {
            boolean acls = switch (acl) {
                case "on" -> true;
                case "off" -> false;
                default -> throw new IllegalArgumentException("invalid --acl '" + acl + "' (on or off)");
            };
            ReadPathBench.Config config = new ReadPathBench.Config(hosts, rate, window, drain, settle, acls, hostsPerNode);
            new ReadPathBench(parent.root, parent.work(), parent.results(), config).run();
            return 0;
        }
    }

    @Command(name = "charts", mixinStandardHelpOptions = true, description = "Redraws the scale charts from the newest one-agent row per size in scale.jsonl, and the readpath chart from readpath.jsonl.")
    static final class ScaleCharts implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand
        BenchMain parent;

        @Override
        public Integer call() throws Exception {
            ReadPathBench.chart(parent.results()); // from readpath.jsonl, when there is one
            Path file = parent.results().resolve("scale.jsonl");
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no " + file + ": run ./edge bench scale first");
            }
            java.util.TreeMap<Integer, Map<String, Object>> newest = new java.util.TreeMap<>();
            long ttl = 15;
            for (String line : Files.readAllLines(file)) {
                Map<String, Object> row = Http.JSON.readValue(line, new com.fasterxml.jackson.core.type.TypeReference<>() { });
                if ("server".equals(row.getOrDefault("consulAgents", "server"))) {
                    newest.put(((Number) row.get("hosts")).intValue(), row);
                    ttl = ((Number) row.get("ttlS")).longValue();
                }
            }
            ScaleBench.chart(parent.results(), ttl, List.copyOf(newest.values()));
            System.out.println("charts of " + newest.keySet() + " hosts written to " + parent.results());
            return 0;
        }
    }

    public static void main(String[] args) {
        int code = Cli.run(new BenchMain(), args);
        Launch.killAll();
        System.exit(code);
    }
}
