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
        description = "Runs a Gateway node: gRPC health endpoint and its presence in the Stargate datacenter.",
        sortOptions = false)
public final class GatewayMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Mixin
    NodeOptions node;

    @Mixin
    MetricsOptions metrics;

    Gateway.GatewayConfig config() {
        return new Gateway.GatewayConfig(node.endpoint(), node.stateDir(), node.serverConfig(),
                node.advertiseHost(), node.advertisePort(), node.deregisterAfter, VERSION, node.tlsCheckSkipVerify);
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
            return () -> {
                gateway.close();
                served.ifPresent(MetricsServer::close);
            };
        });
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new GatewayMain(), args));
    }
}
