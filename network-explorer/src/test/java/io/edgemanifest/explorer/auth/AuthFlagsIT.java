package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.explorer.NetworkExplorerMain;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The exposure flags as an operator meets them: refusals are one line and exit 2 before anything
 * starts; the shaded jar hashes a password, logs in with it, and serves /metrics only on --metrics.
 */
class AuthFlagsIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.single();

    @TempDir
    Path dir;

    private record Run(int exitCode, String err) {
    }

    /** picocli in-process, exactly as main() runs it but without System.exit. */
    private Run inProcess(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new NetworkExplorerMain());
        cli.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of("--consul", "http://127.0.0.1:1", "--data-dir", dir.resolve("data").toString(),
                "--port", "0"));
        all.addAll(List.of(args));
        int code = cli.execute(all.toArray(String[]::new));
        return new Run(code, err.toString());
    }

    @Test
    void refusalsAreOneLineNamingTheValueWithExitTwoBeforeAnythingStarts() throws Exception {
        Path malformed = dir.resolve("bad.users");
        Files.writeString(malformed, "# admins\nalice:$apr1$x$y\n");
        record Case(List<String> args, String says) {
        }
        for (Case c : List.of(
                new Case(List.of("--bind", "0.0.0.0"), "refusing --bind 0.0.0.0 without --auth-file"),
                new Case(List.of("--bind", "::"), "refusing --bind :: without --auth-file"),
                new Case(List.of("--auth-file", malformed.toString()), "invalid --auth-file " + malformed + " line 2:"),
                new Case(List.of("--auth-file", dir.resolve("missing").toString()), "cannot read --auth-file " + dir.resolve("missing")),
                new Case(List.of("--metrics", "nowhere"), "invalid --metrics 'nowhere'"),
                new Case(List.of("--session-idle", "10s"), "invalid --session-idle"),
                new Case(List.of("--events-retention", "1d"), "invalid --events-retention '1d' (at least 2d)"),
                new Case(List.of("--events-retention", "3 weeks"), "invalid --events-retention '3 weeks'"))) {
            Run run = inProcess(c.args().toArray(String[]::new));
            assertThat(run.exitCode()).as(c.args() + " -> " + run.err()).isEqualTo(2);
            assertThat(run.err().strip().lines()).as(run.err()).hasSize(1);
            assertThat(run.err()).contains(c.says());
        }
        assertThat(dir.resolve("data")).as("nothing was created").doesNotExist();
    }

    @Test
    void theJarHashesAPasswordLogsInWithItAndServesMetricsOnlyOnItsOwnAddress() throws Exception {
        Path users = dir.resolve("explorer.users");
        Files.writeString(users, hashPassword("alice", "pass word with spaces") + "\n");
        assertThat(Files.readString(users)).matches("alice:\\$2y\\$10\\$[./A-Za-z0-9]{53}\n");

        int port = FreePorts.next();
        int metricsPort = FreePorts.next();
        Path log = Path.of("target", "process-logs", "explorer-auth-" + System.currentTimeMillis() + ".log");
        // Every address: allowed because a login is required.
        Process explorer = RunnableJar.of("network-explorer").start(log, "--consul", consul.agent().httpUrl(),
                "--data-dir", dir.resolve("data").toString(), "--bind", "0.0.0.0", "--port", Integer.toString(port),
                "--auth-file", users.toString(), "--metrics", "127.0.0.1:" + metricsPort);
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(explorer.isAlive()).as(Files.readString(log)).isTrue();
                assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            });
            assertThat(get(http, base + "/api/nodes", null).statusCode()).isEqualTo(401);

            HttpResponse<String> metrics = get(http, "http://127.0.0.1:" + metricsPort + "/metrics", null);
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("explorer_events_recorded_total");

            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/login"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("username=alice&password=pass+word+with+spaces&next=%2F"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).as(login.body()).isEqualTo(303);
            String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            assertThat(get(http, base + "/api/me", cookie).body()).isEqualTo("{\"user\":\"alice\",\"auth\":true}");
            assertThat(get(http, base + "/metrics", cookie).statusCode()).as("not on the API port").isEqualTo(404);
            assertThat(Files.readString(log)).contains("metrics on http://127.0.0.1:" + metricsPort + "/metrics only")
                    .doesNotContain("pass word with spaces");
        } finally {
            explorer.destroyForcibly();
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code network-explorer hash-password USER} with the password on stdin, as a script would run it. */
    private static String hashPassword(String user, String password) throws Exception {
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar",
                RunnableJar.of("network-explorer").path().toString(), "hash-password", user).start();
        p.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        assertThat(out.lines()).as(out + err).hasSize(1);
        return out.strip();
    }
}
