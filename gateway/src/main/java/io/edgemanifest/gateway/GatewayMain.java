package io.edgemanifest.gateway;

import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
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
        // Signal handlers before anything starts: a SIGTERM during start still deregisters.
        return Lifecycle.startAndRun("gateway", () -> {
            TokenCheck.require(config.endpoint(), node.tokens.source());
            return new Gateway(config).start();
        });
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new GatewayMain(), args));
    }
}
