package io.edgemanifest.bench;

import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulBinary;
import io.edgemanifest.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A Consul client agent (not a server) joined to a dev datacenter's server over Serf LAN: what a
 * node operator would run instead of host-agent, and what a Stargate datacenter adds to spread
 * its hosts' heartbeats over several agents.
 */
final class ConsulClientAgent implements AutoCloseable {

    private final String name;
    private final String url;
    private final Process process;
    private final long startedNanos;

    private ConsulClientAgent(String name, String url, Process process, long startedNanos) {
        this.name = name;
        this.url = url;
        this.process = process;
        this.startedNanos = startedNanos;
    }

    static ConsulClientAgent start(ConsulAgent server, String name, Path dir) throws IOException {
        return start(server, name, dir, false);
    }

    /** @param advertise the agent takes hosts: node meta {@code edge-host-url} = its HTTP URL (host-agent's discovery) */
    static ConsulClientAgent start(ConsulAgent server, String name, Path dir, boolean advertise) throws IOException {
        Path data = Files.createDirectories(dir.resolve(name));
        int http = FreePorts.next();
        Path config = data.resolve("client.json");
        Files.writeString(config, """
                {"datacenter": "%s", "node_name": "%s", "data_dir": "%s", "server": false,
                 "bind_addr": "127.0.0.1", "client_addr": "127.0.0.1", "retry_join": ["127.0.0.1:%d"],
                 "retry_interval": "1s", "log_level": "info", "disable_update_check": true,%s%s
                 "enable_debug": true,
                 "ports": {"http": %d, "https": -1, "dns": -1, "grpc": -1, "serf_lan": %d, "serf_wan": -1, "server": %d}}
                """.formatted(server.datacenter(), name, data.resolve("data"), server.ports().serfLan(),
                advertise ? "\n \"node_meta\": {\"edge-host-url\": \"http://127.0.0.1:" + http + "\"}," : "",
                // A client agent of an ACL datacenter resolves tokens through its servers; its own
                // (agent) token registers its node. The management token stands in for one here.
                server.aclsEnabled() ? """

                 "primary_datacenter": "%s",
                 "acl": {"enabled": true, "default_policy": "deny", "down_policy": "async-cache",
                         "tokens": {"agent": "%s"}},""".formatted(server.datacenter(), server.masterToken()) : "",
                http,
                FreePorts.next(), FreePorts.next()));
        long started = System.nanoTime();
        Process process = Launch.start(dir.resolve("logs").resolve(name + ".log"),
                List.of(ConsulBinary.locate().toString(), "agent", "-config-file", config.toString()));
        return new ConsulClientAgent(name, "http://127.0.0.1:" + http, process, started);
    }

    /** Waits until the server sees this agent's node alive; returns seconds since start, NaN after 60 s. */
    double awaitJoined(ConsulAgent server) {
        long deadline = startedNanos + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("consul client agent " + name + " exited with " + process.exitValue());
            }
            boolean alive = Http.get(server.httpUrl() + "/v1/health/node/" + name)
                    .map(checks -> checks.toString().contains("\"serfHealth\"") && checks.toString().contains("passing"))
                    .orElse(false);
            if (alive) {
                return (System.nanoTime() - startedNanos) / 1e9;
            }
            ScaleBench.pause(Duration.ofMillis(20));
        }
        return Double.NaN;
    }

    String name() {
        return name;
    }

    String url() {
        return url;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        Launch.stop(process, 20);
    }
}
