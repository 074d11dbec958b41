package io.edgemanifest.stargate;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.MetricsOptions;
import io.edgemanifest.core.metrics.MetricsServer;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import io.edgemanifest.core.cli.NodeOptions;
import io.edgemanifest.core.consul.TokenCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code stargate}: runs a Stargate; {@code status}, {@code acl}, {@code enrol-token} and {@code host} administer one. */
@Command(name = "stargate", mixinStandardHelpOptions = true, version = "stargate " + StargateMain.VERSION,
        subcommands = {StatusCommand.class, AclCommand.class, EnrolTokenCommand.class, HostCommand.class}, sortOptions = false,
        description = "Runs a Stargate node next to its Consul datacenter: gRPC health and status, and its presence.")
public final class StargateMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--datacenter", paramLabel = "NAME", defaultValue = "${env:EDGE_DATACENTER}",
            description = "The Consul datacenter this Stargate runs next to (required); it refuses to start against another. Env EDGE_DATACENTER.")
    String datacenter;

    @Option(names = "--enrol-port", paramLabel = "PORT", defaultValue = "${env:EDGE_ENROL_PORT:-0}",
            description = "TLS port of the enrolment endpoint (0: any free port; the bound address is written to "
                    + "<state-dir>/enrol-address). Env EDGE_ENROL_PORT. Default: ${DEFAULT-VALUE}")
    int enrolPort;

    @Option(names = "--primary-datacenter", paramLabel = "NAME", defaultValue = "${env:EDGE_PRIMARY_DATACENTER}",
            description = "The primary (ACL) datacenter; host tokens are valid in every other one. "
                    + "Default: asked from the Consul agent. Env EDGE_PRIMARY_DATACENTER.")
    String primaryDatacenter;

    @Option(names = "--host-session-nodes", paramLabel = "PREFIX", defaultValue = "${env:EDGE_HOST_SESSION_NODES:-}",
            description = "Node-name prefix of the Consul agents hosts use: enrolled hosts may hold (and destroy) sessions "
                    + "only there, never on a gateway's or stargate's agent. Default: every node. Env EDGE_HOST_SESSION_NODES.")
    String hostSessionNodes;

    Stargate.StargateConfig config() {
        if (datacenter == null || datacenter.isBlank()) {
            throw new IllegalArgumentException("--datacenter is required (or EDGE_DATACENTER)");
        }
        if ((node.tlsCert == null) != (node.tlsKey == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key go together");
        }
        Stargate.StargateConfig.TlsFiles tls = node.tlsCert == null ? null
                : new Stargate.StargateConfig.TlsFiles(node.tlsCert, node.tlsKey);
        return new Stargate.StargateConfig(node.endpoint(), datacenter, node.stateDir(), node.bind, node.grpcPort,
                node.advertiseHost(), node.advertisePort(), node.deregisterAfter, VERSION, enrolPort, primaryDatacenter,
                tls, node.tlsCheckSkipVerify, hostSessionNodes);
    }

    @Override
    public Integer call() throws Exception {
        Stargate.StargateConfig config = config();
        // Before anything starts: a bad --metrics or a port in use exits 2 at once.
        AtomicReference<StargateMetrics> gauges = new AtomicReference<>();
        Optional<MetricsServer> served = metrics.listen(() -> {
            StargateMetrics g = gauges.get();
            if (g != null) {
                g.refresh();
            }
        });
        // A client of its own: the gauges read Consul on the scrape thread, never in the way of gRPC status calls.
        Optional<ConsulStatusSource> statusForMetrics = served.map(s -> new ConsulStatusSource(config.endpoint()));
        served.ifPresent(s -> gauges.set(new StargateMetrics(statusForMetrics.orElseThrow(), config.datacenter(),
                s.registry(), Clock.systemUTC(), Duration.ofSeconds(5))));
        // Signal handlers before anything starts: a SIGTERM while it waits for Consul exits 0.
        return Lifecycle.startAndRun("stargate", () -> {
            TokenCheck.require(config.endpoint(), node.tokens.source());
            Stargate stargate = new Stargate(config).start();
            return () -> {
                stargate.close();
                served.ifPresent(MetricsServer::close);
                statusForMetrics.ifPresent(ConsulStatusSource::close);
            };
        });
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new StargateMain(), args));
    }
}
