package io.edgemanifest.stargate;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.NodeOptions;
import io.edgemanifest.core.consul.TokenCheck;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code stargate}: runs a Stargate, or with {@code status} asks one how it is. */
@Command(name = "stargate", mixinStandardHelpOptions = true, version = "stargate " + StargateMain.VERSION,
        subcommands = StatusCommand.class, sortOptions = false,
        description = "Runs a Stargate node next to its Consul datacenter: gRPC health and status, and its presence.")
public final class StargateMain implements Callable<Integer> {

    static final String VERSION = "0.1.0";

    @Mixin
    NodeOptions node;

    @Option(names = "--datacenter", paramLabel = "NAME", defaultValue = "${env:EDGE_DATACENTER}",
            description = "The Consul datacenter this Stargate runs next to (required); it refuses to start against another. Env EDGE_DATACENTER.")
    String datacenter;

    Stargate.StargateConfig config() {
        if (datacenter == null || datacenter.isBlank()) {
            throw new IllegalArgumentException("--datacenter is required (or EDGE_DATACENTER)");
        }
        return new Stargate.StargateConfig(node.endpoint(), datacenter, node.stateDir(), node.bind, node.grpcPort,
                node.advertiseHost(), node.advertisePort(), node.deregisterAfter, VERSION);
    }

    @Override
    public Integer call() {
        Stargate.StargateConfig config = config();
        TokenCheck.require(config.endpoint(), node.tokens.source());
        Stargate stargate = new Stargate(config).start();
        return Lifecycle.runUntilSignalled(stargate, "stargate " + stargate.id());
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new StargateMain(), args));
    }
}
