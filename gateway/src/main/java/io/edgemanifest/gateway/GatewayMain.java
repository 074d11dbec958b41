package io.edgemanifest.gateway;

import io.edgemanifest.core.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Entry point of {@code gateway}. */
@Command(name = "gateway", mixinStandardHelpOptions = true, version = "gateway 0.1.0",
        description = "Runs a Gateway node: gRPC health endpoint and its presence in the Stargate datacenter.")
public final class GatewayMain implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("gateway: not implemented yet (issue #3)");
        return 1;
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new GatewayMain(), args));
    }
}
