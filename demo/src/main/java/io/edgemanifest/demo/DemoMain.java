package io.edgemanifest.demo;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulDatacenters;
import io.edgemanifest.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./edge demo}: Stargate datacenters and the Explorer's datacenter (real Consul agents,
 * WAN-joined), one stargate and N gateways per Stargate datacenter, simulated hosts spread over
 * them, replicate and the Network Explorer — every node a real process started from its jar.
 * Ctrl-C or SIGTERM stops everything in order and removes every temporary directory.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, version = "demo 0.1.0", sortOptions = false,
        description = "Runs the whole edge network on this machine.")
public final class DemoMain implements Callable<Integer> {

    private static final String[] NAMES = {"sg-las-vegas", "sg-gaborone", "sg-helsinki", "sg-lima", "sg-osaka",
            "sg-perth", "sg-nairobi", "sg-oslo"};

    @Option(names = "--stargates", defaultValue = "2", description = "Stargate datacenters (1-8). Default: ${DEFAULT-VALUE}")
    int stargates;

    @Option(names = "--gateways", defaultValue = "2", description = "Gateways per Stargate datacenter. Default: ${DEFAULT-VALUE}")
    int gateways;

    @Option(names = "--hosts", defaultValue = "50", description = "Simulated hosts in all. Default: ${DEFAULT-VALUE}")
    int hosts;

    @Option(names = "--port", defaultValue = "8080", description = "Explorer HTTP port. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--churn", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Hosts leave and come back so the Explorer shows history (on by default; --no-churn).")
    boolean churn;

    @Option(names = "--data-dir", description = "Keep the Explorer's store here between runs (default: a temp dir).")
    Path dataDir;

    @Option(names = "--root", hidden = true, defaultValue = "${env:EDGE_ROOT:-.}")
    Path root;

    @Override
    public Integer call() throws Exception {
        if (stargates < 1 || stargates > NAMES.length || gateways < 0 || gateways > 20 || hosts < 0 || hosts > 20_000
                || port < 0 || port > 65_535) {
            throw new IllegalArgumentException("out of range: --stargates 1-8, --gateways 0-20, --hosts 0-20000, --port 0-65535");
        }
        Path lockFile = Paths.get(System.getProperty("java.io.tmpdir"), "edge-demo.lock");
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            System.err.println("demo: another ./edge demo is already running (lock " + lockFile + ")");
            return 1;
        }
        Demo demo = new Demo();
        try {
            demo.start();
        } catch (RuntimeException e) {
            demo.close();
            throw e;
        }
        int code = Lifecycle.runUntilSignalled(demo, "demo");
        lock.release();
        channel.close();
        return code;
    }

    private final class Demo implements AutoCloseable {
        private final List<Process> processes = new ArrayList<>();
        private final Path work;
        private ConsulDatacenters datacenters;

        Demo() throws IOException {
            work = Files.createTempDirectory("edge-demo-");
        }

        private Path jar(String module) {
            Path jar = root.resolve(module).resolve("target").resolve(module + ".jar");
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("missing " + jar + ": run ./edge build");
            }
            return jar;
        }

        /** One line per process serving Prometheus metrics, printed once all run. */
        private final List<String> scrapeTargets = new ArrayList<>();

        /** A free port for {@code name}'s --metrics, remembered for the list printed at the end. */
        private String metricsAt(String name) {
            int metricsPort = FreePorts.next();
            scrapeTargets.add(String.format("  metrics %-26s http://127.0.0.1:%d/metrics", name, metricsPort));
            return "127.0.0.1:" + metricsPort;
        }

        private Process run(String name, String module, String... args) {
            List<String> command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar(module).toString()));
            command.addAll(List.of(args));
            try {
                Path log = work.resolve("logs").resolve(name + ".log");
                Files.createDirectories(log.getParent());
                Process p = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
                processes.add(p);
                System.out.printf("  %-28s pid %-7d log %s%n", name, p.pid(), log);
                return p;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Runs a command of a jar to completion; its output (never a secret: see below) goes to its log. */
        private String runToEnd(String name, String module, String... args) {
            List<String> command = new ArrayList<>(List.of(javaBinary(), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-jar", jar(module).toString()));
            command.addAll(List.of(args));
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new IllegalStateException(name + " failed: " + output.strip());
                }
                return output;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private static String javaBinary() {
            return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        }

        /** Writes a secret to an owner-only file: programs read tokens from files, never from arguments. */
        private Path secret(String name, String value) {
            try {
                Path dir = work.resolve("secrets");
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
                }
                Path file = dir.resolve(name);
                Files.writeString(file, value + "\n");
                Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private Path roleToken(AclAdmin acl, AclPolicies.Role role, String who) {
            String token = acl.createToken("demo " + who, AclPolicies.policyNames(role), false).secretId();
            return secret(who.replace(' ', '-').replace("#", "") + ".token", token);
        }

        /** Waits for a file a starting process writes (e.g. a Stargate's enrolment address). */
        private void awaitFile(Path file, Process owner, String what) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isRegularFile(file)) {
                if (!owner.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(what + " did not start: see " + work.resolve("logs"));
                }
                try {
                    Thread.sleep(100); // polling a file another process writes: nothing to wait on
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }

        void start() {
            List<String> names = new ArrayList<>(List.of(NAMES).subList(0, stargates));
            System.out.println("demo: starting Consul datacenters explorer (ACL primary) and " + names
                    + " (WAN-joined, ACLs on, default deny) ...");
            datacenters = ConsulDatacenters.startWithAcls("explorer", names.toArray(String[]::new));
            for (ConsulAgent agent : datacenters.all()) {
                System.out.printf("  consul %-21s %s%n", agent.datacenter(), agent.httpUrl());
            }
            String explorerUrl = datacenters.get("explorer").httpUrl();
            Path operator = secret("operator.token", datacenters.get("explorer").masterToken());
            System.out.println("demo: ACL policies (stargate acl init) and one token per node ...");
            runToEnd("stargate acl init", "stargate", "acl", "init", "--consul", explorerUrl,
                    "--primary-datacenter", "explorer", "--token-file", operator.toString());
            List<String> urls = names.stream().map(n -> datacenters.get(n).httpUrl()).toList();
            System.out.println("  operator token in " + operator + " (management: keep it safe)");
            try (AclAdmin acl = new AclAdmin(ConsulEndpoint.parse(explorerUrl, ConsulToken.of(
                    datacenters.get("explorer").masterToken()), null))) {
                System.out.println("demo: starting nodes ...");
                List<Path> stargateDirs = new ArrayList<>();
                List<Process> stargateProcesses = new ArrayList<>();
                for (int i = 0; i < names.size(); i++) {
                    String dc = names.get(i);
                    String url = urls.get(i);
                    Path state = work.resolve("stargate-" + dc);
                    stargateDirs.add(state);
                    stargateProcesses.add(run("stargate " + dc, "stargate", "--consul", url, "--datacenter", dc,
                            "--state-dir", state.toString(), "--grpc-port", Integer.toString(FreePorts.next()),
                            "--enrol-port", Integer.toString(FreePorts.next()), "--primary-datacenter", "explorer",
                            "--token-file", roleToken(acl, AclPolicies.Role.STARGATE, "stargate " + dc).toString(),
                            "--metrics", metricsAt("stargate " + dc)));
                    for (int g = 0; g < gateways; g++) {
                        run("gateway " + dc + " #" + (g + 1), "gateway", "--consul", url, "--state-dir",
                                work.resolve("gateway-" + dc + "-" + g).toString(), "--grpc-port", Integer.toString(FreePorts.next()),
                                "--token-file", roleToken(acl, AclPolicies.Role.GATEWAY, "gateway " + dc + " " + (g + 1)).toString(),
                                "--metrics", metricsAt("gateway " + dc + " #" + (g + 1)));
                    }
                }
                for (int i = 0; i < names.size(); i++) {
                    String dc = names.get(i);
                    int share = hosts / names.size() + (i < hosts % names.size() ? 1 : 0);
                    if (share == 0) {
                        continue;
                    }
                    // Enrolment as a node operator does it: the Stargate operator makes a join token,
                    // the host enrols with it (here each virtual host, so N uses).
                    Path state = stargateDirs.get(i);
                    awaitFile(state.resolve("enrol-address"), stargateProcesses.get(i), "stargate " + dc);
                    String created = runToEnd("stargate enrol-token create", "stargate", "enrol-token", "create",
                            "--state-dir", state.toString(), "--uses", Integer.toString(share), "--ttl", "10m");
                    String joinToken = created.strip().lines().reduce((a, b) -> b).orElseThrow();
                    Path joinFile = secret("join-" + dc + ".token", joinToken);
                    String enrolAddress;
                    try {
                        enrolAddress = Files.readString(state.resolve("enrol-address")).strip();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    // Preferred datacenter first, the others as migration targets.
                    List<String> order = new ArrayList<>(urls.subList(i, urls.size()));
                    order.addAll(urls.subList(0, i));
                    List<String> args = new ArrayList<>(List.of("--consul", String.join(",", order), "--state-dir",
                            work.resolve("hosts-" + dc).toString(), "--simulate", Integer.toString(share), "--ttl", "15s",
                            "--location", CITIES[i % CITIES.length], "--label", "demo=true",
                            "--enrol", enrolAddress, "--join-token-file", joinFile.toString(),
                            "--metrics", metricsAt("hosts " + dc)));
                    if (churn) {
                        args.addAll(List.of("--churn", "5s"));
                    }
                    run("hosts " + dc + " (" + share + ")", "host-agent", args.toArray(String[]::new));
                }
                List<String> replicateArgs = new ArrayList<>(List.of("--consul", explorerUrl, "--metrics", metricsAt("replicate"),
                        "--token-file", roleToken(acl, AclPolicies.Role.REPLICATE, "replicate").toString()));
                for (int i = 0; i < names.size(); i++) {
                    replicateArgs.addAll(List.of("--source", names.get(i) + "=" + urls.get(i)));
                }
                run("replicate", "replicate", replicateArgs.toArray(String[]::new));
                Path data = dataDir != null ? dataDir : work.resolve("explorer-data");
                run("network-explorer", "network-explorer", "--consul", explorerUrl, "--port", Integer.toString(port),
                        "--data-dir", data.toString(),
                        "--token-file", roleToken(acl, AclPolicies.Role.EXPLORER, "network-explorer").toString());
            }
            System.out.println();
            System.out.println("demo: every node runs with its own Consul token (files under " + work.resolve("secrets")
                    + "), hosts enrolled through their Stargate");
            // The Explorer without --auth-file serves /metrics on its API port.
            scrapeTargets.add(String.format("  metrics %-26s http://127.0.0.1:%d/metrics", "network-explorer", port));
            System.out.println("demo: Prometheus /metrics of every process (rules and dashboard in deploy/):");
            scrapeTargets.forEach(System.out::println);
            System.out.println("demo: Network Explorer at http://127.0.0.1:" + port + "/   (Ctrl-C stops everything)");
            System.out.flush();
        }

        @Override
        public void close() {
            System.out.println("demo: stopping ...");
            // Nodes first (they leave Consul cleanly), then Consul, then the files.
            processes.forEach(Process::destroy);
            for (Process p : processes) {
                try {
                    if (!p.waitFor(10, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        p.waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                }
            }
            if (datacenters != null) {
                datacenters.close();
            }
            try (Stream<Path> files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                System.err.println("demo: could not remove " + work + ": " + e.getMessage());
            }
            System.out.println("demo: stopped");
        }
    }

    private static final String[] CITIES = {"Las Vegas,US,36.17,-115.14", "Gaborone,BW,-24.65,25.91",
            "Helsinki,FI,60.17,24.94", "Lima,PE,-12.05,-77.04", "Osaka,JP,34.69,135.50", "Perth,AU,-31.95,115.86",
            "Nairobi,KE,-1.29,36.82", "Oslo,NO,59.91,10.75"};

    public static void main(String[] args) {
        System.exit(Cli.run(new DemoMain(), args));
    }

}
