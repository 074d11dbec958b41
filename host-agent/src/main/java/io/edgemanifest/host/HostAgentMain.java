package io.edgemanifest.host;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.TokenOptions;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.cli.Durations;
import io.edgemanifest.core.enrol.EnrolmentException;
import io.edgemanifest.core.enrol.HostEnrolment;
import io.edgemanifest.core.enrol.HostPort;
import io.edgemanifest.core.enrol.TokenRotation;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.metrics.MetricsServer;
import io.micrometer.core.instrument.Metrics;
import io.edgemanifest.core.node.Location;
import io.edgemanifest.core.presence.CheckSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Entry point of {@code host-agent}: flags (or EDGE_* environment variables) → config → agent. */
@Command(name = "host-agent", mixinStandardHelpOptions = true, version = "host-agent " + HostAgentMain.VERSION,
        description = "Keeps a host present in its Stargate's Consul: TTL heartbeat, session-bound metadata, self-healing.",
        sortOptions = false)
public final class HostAgentMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    private static final Logger log = LoggerFactory.getLogger(HostAgentMain.class);

    @Spec
    CommandSpec spec;

    @Option(names = "--consul", split = ",", paramLabel = "URL[|URL...]", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "Consul HTTP API of a Stargate datacenter; repeat (or comma-separate) in order of preference. "
                    + "Several agents of one datacenter joined by '|' share its hosts (each host picks one by rendezvous "
                    + "hashing, the others are its fallbacks). Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    List<String> consul;

    @Option(names = "--discover-agents", paramLabel = "on|off", defaultValue = "${env:EDGE_DISCOVER_AGENTS:-on}",
            description = "Learn each datacenter's Consul agents that take hosts (node meta edge-host-url) from its catalog "
                    + "and spread over them by rendezvous, moving as they come and go; --consul is then the bootstrap "
                    + "and last fallback (nothing advertised: exactly --consul). Env EDGE_DISCOVER_AGENTS. Default: ${DEFAULT-VALUE}")
    String discoverAgents;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_STATE_DIR:-${sys:user.home}/.edge-manifest/host}",
            description = "Where the host keeps its ID. Env EDGE_STATE_DIR. Default: ${DEFAULT-VALUE}")
    Path stateDir;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "${env:EDGE_TTL:-15s}",
            description = "TTL of the health check; heartbeats every TTL/2. Env EDGE_TTL. Default: ${DEFAULT-VALUE}")
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
            description = "Move to the next datacenter after the current one is unreachable this long, plus up to half "
                    + "again fixed by the host's ID (hosts of one failed agent leave it spread out). A slow agent is "
                    + "not unreachable: heartbeats are retried with a TTL's patience. Default: ${DEFAULT-VALUE}")
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

    @Option(names = "--enrol", paramLabel = "HOST:PORT", defaultValue = "${env:EDGE_ENROL}",
            description = "Enrol at this Stargate's enrolment endpoint (TLS, trusting only the CA the join token pins) "
                    + "unless <state-dir>/consul-token exists; the token obtained is stored there (mode 0600). Env EDGE_ENROL.")
    String enrol;

    @Option(names = "--join-token-file", paramLabel = "FILE", defaultValue = "${env:EDGE_JOIN_TOKEN_FILE}",
            description = "File holding the join token for --enrol (from 'stargate enrol-token create'); "
                    + "not read once enrolled. Env EDGE_JOIN_TOKEN_FILE.")
    Path joinTokenFile;

    @Option(names = "--rotate-every", paramLabel = "DURATION", defaultValue = "${env:EDGE_ROTATE_EVERY:-24h}",
            description = "An enrolled host replaces its Consul token this often, staying present throughout (0: never). "
                    + "Env EDGE_ROTATE_EVERY. Default: ${DEFAULT-VALUE}")
    String rotateEvery;

    /**
     * The token when not enrolling now: {@code --token-file}/{@code EDGE_TOKEN} if given, else the
     * one an earlier enrolment stored in the state dir, else none.
     */
    ConsulToken token() {
        ConsulToken explicit = tokens.token();
        if (explicit.isPresent()) {
            return explicit;
        }
        return ConsulToken.of(HostEnrolment.storedToken(stateDir).orElse(null));
    }

    /** Where the token comes from, for messages (never the token itself). */
    private String tokenSource() {
        Path own = simulate > 0 ? SimulatedHosts.stateDirOf(stateDir, 0) : stateDir;
        return tokens.token().isPresent() || HostEnrolment.storedToken(own).isEmpty() ? tokens.source()
                : HostEnrolment.tokenFile(own).toString();
    }

    HostAgentConfig config() {
        return config(token());
    }

    HostAgentConfig config(ConsulToken token) {
        // One holder for every endpoint: a rotated token is used everywhere at once.
        List<List<ConsulEndpoint>> endpoints = consul.stream().map(String::strip).filter(s -> !s.isEmpty())
                .map(group -> java.util.Arrays.stream(group.split("\\|")).map(String::strip).filter(u -> !u.isEmpty())
                        .map(u -> ConsulEndpoint.parse(u, token, tokens.consulCaFile)).toList())
                .toList();
        return new HostAgentConfig(endpoints, stateDir, CheckSpec.Ttl.of(ttl),
                location == null || location.isBlank() ? null : Location.parse(location),
                parseLabels(labels), migrateAfter, deregisterAfter, VERSION, onOff("--discover-agents", discoverAgents));
    }

    static boolean onOff(String flag, String value) {
        return switch (value == null ? "" : value.strip()) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("invalid " + flag + " '" + value + "' (use on or off)");
        };
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
    public Integer call() throws Exception {
        Duration rotation = rotationInterval();
        ConsulToken token;
        boolean enrolled;
        if (enrol != null && !enrol.isBlank()) {
            if (tokens.token().isPresent()) {
                throw new IllegalArgumentException("--enrol and --token-file/EDGE_TOKEN exclude each other: "
                        + "an enrolling host gets its token from its Stargate");
            }
            HostPort stargate = HostPort.parse(enrol.strip(), "--enrol");
            try {
                if (simulate > 0) {
                    // Every virtual host enrols for a token of its own (the join token needs --uses N),
                    // as N real hosts would; later starts reuse what each stored.
                    for (int i = 0; i < simulate; i++) {
                        Path dir = SimulatedHosts.stateDirOf(stateDir, i);
                        HostEnrolment.loadOrEnrol(dir, NodeIdentity.loadOrCreate(dir, NodeKind.HOST), stargate, joinTokenFile);
                    }
                    token = ConsulToken.none();
                } else {
                    String hostId = NodeIdentity.loadOrCreate(stateDir, NodeKind.HOST);
                    token = ConsulToken.of(HostEnrolment.loadOrEnrol(stateDir, hostId, stargate, joinTokenFile));
                }
            } catch (EnrolmentException e) {
                // Not bad input (exit 2): the Stargate did not answer or failed; a supervisor may retry.
                spec.commandLine().getErr().println(spec.name() + ": " + e.getMessage());
                return 1;
            }
            enrolled = true;
        } else {
            if (joinTokenFile != null) {
                throw new IllegalArgumentException("--join-token-file needs --enrol HOST:PORT");
            }
            token = token();
            enrolled = !tokens.token().isPresent() && token.isPresent();
        }
        if (simulate > 0 && !token.isPresent()) {
            // Virtual hosts hold their own tokens: check the first one's.
            token = ConsulToken.of(HostEnrolment.storedToken(SimulatedHosts.stateDirOf(stateDir, 0)).orElse(null));
        }
        HostAgentConfig config = config(token);
        requireUsableToken(config);
        if (simulate < 0 || simulate > 100_000) {
            throw new IllegalArgumentException("invalid --simulate " + simulate + " (0 to 100000)");
        }
        if (churn != null && (simulate == 0 || churn.isNegative() || churn.isZero())) {
            throw new IllegalArgumentException("--churn needs --simulate and a positive duration");
        }
        MetricsServer metricsServer = null;
        if (metrics != null && !metrics.isBlank()) {
            metricsServer = MetricsServer.listen(io.edgemanifest.core.metrics.JvmBasics.bindTo(MetricsServer.newRegistry()), metrics.strip(), "--metrics");
            // Presences record on the global registry: serve it through ours.
            Metrics.addRegistry(metricsServer.registry());
        }
        MetricsServer served = metricsServer;
        boolean isEnrolled = enrolled;
        ConsulToken own = token;
        // Signal handlers before anything starts: a SIGTERM during start still ends in goodbye and exit 0.
        return Lifecycle.startAndRun(simulate > 0 ? "host-agent --simulate " + simulate : "host-agent", () -> {
            AutoCloseable component;
            if (simulate > 0) {
                // Each virtual host with the token stored in its own state dir (enrolled, or provisioned).
                SimulatedHosts.TokenSource tokenOf = (i, dir) -> HostEnrolment.storedToken(dir).map(ConsulToken::of).orElse(null);
                component = new SimulatedHosts(config, simulate, churn, tokenOf).start();
            } else {
                HostAgent agent = new HostAgent(config).start();
                component = rotating(agent, own, isEnrolled, rotation);
            }
            return () -> {
                component.close();
                if (served != null) {
                    served.close();
                }
            };
        });
    }

    /** {@code --rotate-every}: a duration, or 0 for never. */
    private Duration rotationInterval() {
        String text = rotateEvery == null ? "0" : rotateEvery.strip();
        Duration interval = text.equals("0") ? Duration.ZERO : Durations.parse(text);
        if (interval.isNegative() || (!interval.isZero() && interval.compareTo(Duration.ofMinutes(1)) < 0)) {
            throw new IllegalArgumentException("invalid --rotate-every '" + rotateEvery + "': 0 (never) or at least 1m");
        }
        return interval;
    }

    /**
     * The agent, rotating its token every {@code interval} when it holds an enrolled one (a token
     * an operator handed over is the operator's to rotate).
     */
    private AutoCloseable rotating(HostAgent agent, ConsulToken token, boolean enrolled, Duration interval) {
        if (!enrolled || interval.isZero()) {
            return agent;
        }
        Optional<HostEnrolment.Stargate> recorded = HostEnrolment.stargate(stateDir);
        if (recorded.isEmpty()) {
            log.warn("{}: no record of the Stargate that enrolled this host in {}: the token is not rotated",
                    agent.id(), stateDir);
            return agent;
        }
        HostEnrolment.Stargate stargate = recorded.get();
        if (enrol != null && !enrol.isBlank()) {
            // The operator's current address wins (the Stargate may have moved); its CA stays the pinned one.
            stargate = new HostEnrolment.Stargate(HostPort.parse(enrol.strip(), "--enrol"), stargate.caPin());
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "token-rotation");
            t.setDaemon(true);
            return t;
        });
        TokenRotation rotation = new TokenRotation(agent.id(), stargate, HostEnrolment.tokenFile(stateDir), token,
                () -> agent.presence().reRegister()).start(scheduler, interval);
        return () -> {
            rotation.close();
            scheduler.shutdownNow();
            agent.close();
        };
    }

    /** The first datacenter that answers decides whether our token is usable; none answering is not an error. */
    private void requireUsableToken(HostAgentConfig config) {
        for (List<ConsulEndpoint> datacenter : config.datacenters()) {
            for (ConsulEndpoint endpoint : datacenter) {
                if (TokenCheck.require(endpoint, tokenSource()) != TokenCheck.Result.UNREACHABLE) {
                    return;
                }
            }
        }
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new HostAgentMain(), args));
    }
}
