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
        description = "Runs a Gateway node: gRPC health endpoint and its presence in the Stargate datacenter.",
        sortOptions = false)
public final class GatewayMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Mixin
    NodeOptions node;

    Gateway.GatewayConfig config() {
        return new Gateway.GatewayConfig(node.endpoint(), node.stateDir(), node.serverConfig(),
                node.advertiseHost(), node.advertisePort(), node.deregisterAfter, VERSION, node.tlsCheckSkipVerify);
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
