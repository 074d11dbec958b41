package io.edgemanifest.stargate;

import io.edgemanifest.core.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Entry point of {@code stargate}. */
@Command(name = "stargate", mixinStandardHelpOptions = true, version = "stargate 0.1.0", subcommands = StatusCommand.class,
        description = "Runs a Stargate node next to its Consul datacenter: gRPC health endpoint and presence.")
public final class StargateMain implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("stargate: not implemented yet (issue #3)");
        return 1;
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new StargateMain(), args));
    }
}
