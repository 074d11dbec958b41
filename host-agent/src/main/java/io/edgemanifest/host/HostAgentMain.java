package io.edgemanifest.host;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.TokenOptions;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.metrics.MetricsServer;
import io.micrometer.core.instrument.Metrics;
import io.edgemanifest.core.node.Location;
import io.edgemanifest.core.presence.CheckSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code host-agent}: flags (or EDGE_* environment variables) → config → agent. */
@Command(name = "host-agent", mixinStandardHelpOptions = true, version = "host-agent " + HostAgentMain.VERSION,
        description = "Keeps a host present in its Stargate's Consul: TTL heartbeat, session-bound metadata, self-healing.",
        sortOptions = false)
public final class HostAgentMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Option(names = "--consul", split = ",", paramLabel = "URL[|URL...]", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "Consul HTTP API of a Stargate datacenter; repeat (or comma-separate) in order of preference. "
                    + "Several agents of one datacenter joined by '|' share its hosts (each host picks one by rendezvous "
                    + "hashing, the others are its fallbacks). Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    List<String> consul;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_STATE_DIR:-${sys:user.home}/.edge-manifest/host}",
            description = "Where the host keeps its ID. Env EDGE_STATE_DIR. Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "${env:EDGE_TTL:-15s}",
            description = "TTL of the health check; heartbeats every TTL/3. Env EDGE_TTL. Default: ${DEFAULT-VALUE}")
    Duration ttl;

    @Option(names = "--location", paramLabel = "CITY,COUNTRY[,LAT,LON]", defaultValue = "${env:EDGE_LOCATION}",
            description = "Where this host is. Env EDGE_LOCATION.")
    String location;

    @Option(names = "--label", paramLabel = "KEY=VALUE", split = ",", defaultValue = "${env:EDGE_LABELS}",
            description = "A label for this host; repeatable. Env EDGE_LABELS (comma-separated).")
    List<String> labels;

    @Mixin
    TokenOptions tokens;

    @Option(names = "--migrate-after", paramLabel = "DURATION", defaultValue = "${env:EDGE_MIGRATE_AFTER:-30s}",
            description = "Move to the next datacenter after the current one is unreachable this long. Default: ${DEFAULT-VALUE}")
    Duration migrateAfter;

    @Option(names = "--deregister-after", paramLabel = "DURATION", defaultValue = "${env:EDGE_DEREGISTER_AFTER:-1m}",
            description = "Consul removes the service this long after its check went critical (min 1m). Default: ${DEFAULT-VALUE}")
    Duration deregisterAfter;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", defaultValue = "${env:EDGE_METRICS}",
            description = "Serve Prometheus /metrics here (heartbeat latency, lost sessions); off by default. Env EDGE_METRICS.")
    String metrics;

    @Option(names = "--simulate", paramLabel = "N", defaultValue = "0",
            description = "Run N independent virtual hosts in this JVM (each its own ID under --state-dir/sim-<i>, "
                    + "session and heartbeat: the real code path), for demos and load tests.")
    int simulate;

    @Option(names = "--churn", paramLabel = "DURATION",
            description = "With --simulate: every DURATION one random virtual host leaves or comes back, so the "
                    + "Explorer shows history and availability.")
    Duration churn;

    HostAgentConfig config() {
        // One holder for every endpoint: a rotated token is used everywhere at once.
        ConsulToken token = tokens.token();
        List<List<ConsulEndpoint>> endpoints = consul.stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(group -> java.util.Arrays.stream(group.split("\\|")).map(String::strip).filter(u -> !u.isEmpty())
                        .map(u -> ConsulEndpoint.parse(u, token, tokens.consulCaFile)).toList())
                .toList();
        return new HostAgentConfig(endpoints, stateDir, CheckSpec.Ttl.of(ttl),
                location == null || location.isBlank() ? null : Location.parse(location),
                parseLabels(labels), migrateAfter, deregisterAfter, VERSION);
    }

    static Map<String, String> parseLabels(List<String> labels) {
        Map<String, String> result = new LinkedHashMap<>();
        if (labels == null) {
            return result;
        }
        for (String label : labels) {
            if (label.isBlank()) {
                continue;
            }
            int eq = label.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("invalid --label '" + label + "' (use key=value)");
            }
            result.put(label.substring(0, eq).strip(), label.substring(eq + 1).strip());
        }
        return result;
    }

    @Override
    public Integer call() {
        HostAgentConfig config = config();
        requireUsableToken(config);
        if (simulate < 0 || simulate > 100_000) {
            throw new IllegalArgumentException("invalid --simulate " + simulate + " (0 to 100000)");
        }
        if (churn != null && (simulate == 0 || churn.isNegative() || churn.isZero())) {
            throw new IllegalArgumentException("--churn needs --simulate and a positive duration");
        }
        MetricsServer metricsServer = null;
        if (metrics != null && !metrics.isBlank()) {
            metricsServer = MetricsServer.listen(MetricsServer.newRegistry(), metrics.strip(), "--metrics");
            // Presences record on the global registry: serve it through ours.
            Metrics.addRegistry(metricsServer.registry());
        }
        AutoCloseable component;
        String name;
        if (simulate > 0) {
            component = new SimulatedHosts(config, simulate, churn).start();
            name = "host-agent --simulate " + simulate;
        } else {
            HostAgent agent = new HostAgent(config).start();
            component = agent;
            name = "host-agent " + agent.id();
        }
        MetricsServer served = metricsServer;
        return Lifecycle.runUntilSignalled(() -> {
            component.close();
            if (served != null) {
                served.close();
            }
        }, name);
    }

    /** The first datacenter that answers decides whether our token is usable; none answering is not an error. */
    private void requireUsableToken(HostAgentConfig config) {
        for (List<ConsulEndpoint> datacenter : config.datacenters()) {
            for (ConsulEndpoint endpoint : datacenter) {
                if (TokenCheck.require(endpoint, tokens.source()) != TokenCheck.Result.UNREACHABLE) {
                    return;
                }
            }
        }
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new HostAgentMain(), args));
    }
}
