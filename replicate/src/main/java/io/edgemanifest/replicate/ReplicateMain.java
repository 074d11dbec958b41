package io.edgemanifest.replicate;

import io.edgemanifest.core.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Entry point of {@code replicate}. */
@Command(name = "replicate", mixinStandardHelpOptions = true, version = "replicate 0.1.0",
        description = "Copies services and KV from every Stargate datacenter into the Explorer's Consul.")
public final class ReplicateMain implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("replicate: not implemented yet (issue #4)");
        return 1;
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new ReplicateMain(), args));
    }
}
