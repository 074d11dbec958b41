package io.edgemanifest.gateway;

import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.MetricsOptions;
import io.edgemanifest.core.metrics.MetricsServer;
import java.util.Optional;
import io.edgemanifest.core.cli.NodeOptions;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code gateway}. */
@Command(name = "gateway", mixinStandardHelpOptions = true, version = "gateway " + GatewayMain.VERSION,
        subcommands = DrainCommand.class,
        description = "Runs a Gateway node: gRPC health endpoint and its presence in the Stargate datacenter.",
        sortOptions = false)
public final class GatewayMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", defaultValue = "${env:EDGE_DRAIN_TIMEOUT:-60s}",
            description = "On SIGTERM (or 'gateway drain'), how long to wait, NOT_SERVING, until no host names this "
                    + "gateway before leaving (0s: leave at once; a second SIGTERM cuts it short). Keep the unit's "
                    + "TimeoutStopSec above it. Env EDGE_DRAIN_TIMEOUT. Default: ${DEFAULT-VALUE}")
    Duration drainTimeout;

    Gateway.GatewayConfig config() {
        return new Gateway.GatewayConfig(node.endpoint(), node.stateDir(), node.serverConfig(),
                node.advertiseHost(), node.advertisePort(), node.deregisterAfter, VERSION, node.tlsCheckSkipVerify,
                drainTimeout);
    }

    @Override
    public Integer call() throws Exception {
        Gateway.GatewayConfig config = config();
        // Before anything starts: a bad --metrics or a port in use exits 2 at once.
        Optional<MetricsServer> served = metrics.listen(() -> { });
        // Signal handlers before anything starts: a SIGTERM during start still deregisters.
        return Lifecycle.startAndRun("gateway", () -> {
            TokenCheck.require(config.endpoint(), node.tokens.source());
            Gateway gateway = new Gateway(config).start();
            return new Running(gateway, served);
        });
    }

    /**
     * The started gateway and its metrics server, stopped in that order. Hurried, so that a second
     * signal still reaches the gateway's drain.
     */
    private record Running(Gateway gateway, Optional<MetricsServer> metrics) implements AutoCloseable, Lifecycle.Hurried {
        @Override
        public void stopWaiting() {
            gateway.stopWaiting();
        }

        @Override
        public void close() {
            gateway.close();
            metrics.ifPresent(MetricsServer::close);
        }
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new GatewayMain(), args));
    }
}
