package io.edgemanifest.explorer;

import io.edgemanifest.core.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Entry point of {@code network-explorer}. */
@Command(name = "network-explorer", mixinStandardHelpOptions = true, version = "network-explorer 0.1.0",
        description = "Network Explorer: every device ever seen, with status, history and uptime, over an API and a web UI.")
public final class NetworkExplorerMain implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("network-explorer: not implemented yet (issue #5)");
        return 1;
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new NetworkExplorerMain(), args));
    }
}
