package io.edgemanifest.host;

import io.edgemanifest.core.cli.Cli;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Entry point of {@code host-agent}. */
@Command(name = "host-agent", mixinStandardHelpOptions = true, version = "host-agent 0.1.0",
        description = "Keeps a host present in its Stargate's Consul: TTL heartbeat, session-bound metadata, self-healing.")
public final class HostAgentMain implements Callable<Integer> {

    @Override
    public Integer call() {
        System.err.println("host-agent: not implemented yet (issue #3)");
        return 1;
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new HostAgentMain(), args));
    }
}
