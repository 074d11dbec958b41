package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The demo as a newcomer runs it: every node a real process, the Explorer filling up, Ctrl-C leaving nothing. */
class DemoIT {

    private Process demo;

    @AfterEach
    void stop() {
        if (demo != null) {
            demo.descendants().forEach(ProcessHandle::destroyForcibly);
            demo.destroyForcibly();
        }
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : "";
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).replace('\0', ' ').strip();
        } catch (java.io.IOException e) {
            return ""; // a process that ended meanwhile
        }
    }

    @Test
    void theWholeNetworkComesUpInTheExplorerAndStoppingLeavesNothingRunning() throws Exception {
        int port = FreePorts.next();
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path log = Path.of("target", "demo.log");
        Files.createDirectories(log.getParent());
        demo = new ProcessBuilder(RunnableJar.javaBinary(), "-jar", RunnableJar.of("demo").path().toString(),
                "--root", root.toString(), "--stargates", "2", "--gateways", "1", "--hosts", "6", "--port",
                Integer.toString(port), "--no-churn").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).ignoreExceptions().untilAsserted(() -> {
            assertThat(demo.isAlive()).as(Files.readString(log)).isTrue();
            assertThat(get(port, "/api/nodes?kind=stargate&status=online")).contains("\"total\":2");
            assertThat(get(port, "/api/nodes?kind=gateway&status=online")).contains("\"total\":2");
            assertThat(get(port, "/api/nodes?kind=host&status=online")).contains("\"total\":6");
        });
        // Every host is attached to a gateway of its datacenter, and the chain says so.
        // A host is online as soon as its record is written; it picks its gateway as soon as its
        // gateway watch has answered, which may be a moment later.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(get(port, "/api/nodes?kind=host&limit=10")).contains("\"total\":6").doesNotContain("\"gateway\":null"));
        String hosts = get(port, "/api/nodes?kind=host&limit=10");
        String someHost = hosts.replaceAll("(?s).*?\"id\":\"(host-[^\"]+)\".*", "$1");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(get(port, "/api/nodes/" + someHost)).contains("\"kind\":\"gateway\"", "\"kind\":\"stargate\""));

        // Every process serves /metrics, and every metric and label the alert rules and the
        // dashboard name is exported by one of them (a series may appear a moment after its
        // process starts, e.g. replicate's lag with the first change: hence the wait).
        String printed = Files.readString(log); // appended to by earlier runs: this run's list is the last
        printed = printed.substring(Math.max(0, printed.lastIndexOf("demo: Prometheus /metrics")));
        List<String> targets = printed.lines().filter(l -> l.startsWith("  metrics "))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
        assertThat(printed).contains("metrics stargate ", "metrics gateway ", "metrics hosts ",
                "metrics replicate ", "metrics network-explorer ");
        assertThat(targets).hasSize(2 + 2 + 2 + 1 + 1);
        long contractStart = System.nanoTime();
        await().atMost(Duration.ofSeconds(90)).pollDelay(Duration.ZERO).pollInterval(Duration.ofSeconds(3)).untilAsserted(() -> {
            Exposition exported = new Exposition();
            StringBuilder all = new StringBuilder();
            for (String target : targets) {
                HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(target))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(target).isEqualTo(200);
                exported.add(r.body());
                all.append(r.body());
            }
            // With ACLs on, each role's token reads what its gauges need.
            assertThat(all).contains("stargate_consul_up{datacenter=\"sg-las-vegas\"} 1.0",
                    "stargate_passing_gateways{datacenter=\"sg-gaborone\"} 1.0",
                    "replicate_source_up{source=\"sg-gaborone\"} 1.0",
                    "explorer_datacenter_reachable{datacenter=\"sg-las-vegas\"} 1.0");
            List<String> problems = MetricContract.violations(root, exported);
            problems.forEach(problem -> System.out.println("metric contract: " + problem));
            assertThat(problems).isEmpty();
        });
        System.out.println("metric contract held after " + (System.nanoTime() - contractStart) / 1_000_000 + " ms");

        // Every node ran with a token of its own, and no token shows in a log or the process list.
        String demoLog = Files.readString(log);
        Path secrets = Path.of(demoLog.replaceAll("(?s).*files under (\\S+)\\).*", "$1"));
        List<String> tokens;
        try (var files = Files.list(secrets)) {
            tokens = files.filter(f -> f.toString().endsWith(".token")).map(DemoIT::read).toList();
        }
        assertThat(tokens).hasSizeGreaterThanOrEqualTo(1 + 2 + 2 + 2 + 2); // operator, stargates, gateways, joins, roles
        List<String> texts = new java.util.ArrayList<>(List.of(demoLog));
        try (var logs = Files.list(secrets.getParent().resolve("logs"))) {
            logs.forEach(f -> texts.add(read(f)));
        }
        demo.descendants().forEach(p -> texts.add(read(Path.of("/proc", Long.toString(p.pid()), "cmdline"))));
        for (String token : tokens) {
            assertThat(texts).allSatisfy(text -> assertThat(text).doesNotContain(token));
        }
        try (var hostDirs = Files.list(secrets.getParent())) {
            assertThat(hostDirs.filter(d -> d.getFileName().toString().startsWith("hosts-")).toList())
                    .allSatisfy(d -> assertThat(d.resolve("sim-0").resolve("consul-token")).isRegularFile());
        }

        // A second demo while this one runs says so.
        Process second = new ProcessBuilder(RunnableJar.javaBinary(), "-jar", RunnableJar.of("demo").path().toString(),
                "--root", root.toString(), "--port", Integer.toString(FreePorts.next())).redirectErrorStream(true).start();
        String secondOutput = new String(second.getInputStream().readAllBytes());
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(secondOutput).contains("already running");

        List<ProcessHandle> children = demo.descendants().toList();
        assertThat(children).isNotEmpty();
        demo.destroy(); // SIGTERM, as Ctrl-C would
        assertThat(demo.waitFor(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(15)).until(() -> children.stream().noneMatch(ProcessHandle::isAlive));
        assertThat(Files.readString(log)).contains("demo: stopped");
    }
}
