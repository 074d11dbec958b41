package io.edgemanifest.core.cli;

import java.io.PrintWriter;
import java.time.Duration;
import picocli.CommandLine;

/**
 * The command-line conventions every Edge Manifest program follows: picocli parsing, durations as
 * {@code 15s}/{@code 500ms}/{@code 1m}, and bad flags or config answered by one line naming the bad
 * value and exit code 2 — never a stack trace.
 */
public final class Cli {

    /** Exit code for invalid flags or configuration. */
    public static final int USAGE = 2;

    private Cli() {
    }

    /** A {@link CommandLine} with the project's converters and error handling installed. */
    public static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        cli.registerConverter(Duration.class, Durations::parse);
        cli.setParameterExceptionHandler(Cli::onBadParameter);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof IllegalArgumentException) {
                // Config records validate in their constructors and throw this: it is bad input.
                commandLine.getErr().println(commandLine.getCommandName() + ": " + e.getMessage());
                return USAGE;
            }
            throw e;
        });
        return cli;
    }

    /** Parses {@code args}, runs the command and returns its exit code. */
    public static int run(Object command, String... args) {
        return commandLine(command).execute(args);
    }

    private static int onBadParameter(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        PrintWriter err = cli.getErr();
        err.println(cli.getCommandName() + ": " + e.getMessage() + " (see --help)");
        return USAGE;
    }
}
