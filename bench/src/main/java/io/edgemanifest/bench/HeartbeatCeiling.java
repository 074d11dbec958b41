package io.edgemanifest.bench;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kiwiproject.consul.Consul;

/**
 * How many heartbeats per second one Consul agent takes, closed loop, at a given concurrency: once
 * from {@code wrk} (C, the raw ceiling of the HTTP API) and once through our heartbeat path (the
 * presence's consul-client call on the shared client virtual hosts use). Both pass the same
 * registered TTL checks round-robin, so the agent does the same work for each.
 */
final class HeartbeatCeiling {

    private HeartbeatCeiling() {
    }

    /** Requests/s wrk achieved, or NaN when wrk is not installed. */
    static double wrk(String consulUrl, List<String> checkIds, int connections, Duration duration, Path work) {
        if (!onPath("wrk")) {
            System.err.println("bench: wrk not found: the raw ceiling is not measured (install Debian's 'wrk')");
            return Double.NaN;
        }
        try {
            Path ids = work.resolve("check-ids.txt");
            Files.write(ids, checkIds, StandardCharsets.UTF_8);
            Path script = work.resolve("heartbeat.lua");
            Files.writeString(script, """
                    local ids = {}
                    for line in io.lines("%s") do ids[#ids + 1] = line end
                    local i = 0
                    request = function()
                      i = (i %% #ids) + 1
                      return wrk.format("PUT", "/v1/agent/check/pass/" .. ids[i], %s)
                    end
                    """.formatted(ids.toAbsolutePath(),
                    // In the script, not on wrk's command line (the process list would show it).
                    Http.token == null ? "nil" : "{[\"X-Consul-Token\"] = \"" + Http.token + "\"}"));
            Process p = new ProcessBuilder("wrk", "-t2", "-c" + connections, "-d" + duration.toSeconds() + "s",
                    "-s", script.toString(), consulUrl).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(duration.toSeconds() + 30, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
            Matcher errors = Pattern.compile("Non-2xx or 3xx responses: (\\d+)").matcher(out);
            if (errors.find()) {
                System.err.println("bench: wrk saw " + errors.group(1) + " error answers");
            }
            return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        } catch (IOException e) {
            System.err.println("bench: wrk failed: " + e.getMessage());
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Double.NaN;
        }
    }

    /** Heartbeats/s through consul-client's {@code passCheck} on one shared client, {@code threads} callers. */
    static double ours(String consulUrl, List<String> checkIds, int threads, Duration duration) {
        ConsulEndpoint endpoint = ConsulEndpoint.parse(consulUrl, Http.token);
        Consul consul = endpoint.sharedClient(Duration.ofSeconds(10), threads + 4);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> callers = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int offset = t;
            callers.add(Thread.ofPlatform().name("ceiling-" + t).start(() -> {
                for (int i = offset; System.nanoTime() < end; i += threads) {
                    try {
                        consul.agentClient().passCheck(checkIds.get(i % checkIds.size()));
                        done.incrementAndGet();
                    } catch (RuntimeException | org.kiwiproject.consul.NotRegisteredException e) {
                        failed.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread caller : callers) {
            try {
                caller.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        consul.destroy();
        if (failed.get() > 0) {
            System.err.println("bench: " + failed.get() + " heartbeats failed in our closed loop");
        }
        return done.get() / seconds;
    }

    static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }
}
