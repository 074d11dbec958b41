package io.edgemanifest.stargate;

import io.edgemanifest.core.Errors;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** What the administration subcommands share: one-line failures, exit 1 for Consul trouble. */
abstract class AdminCommand implements Callable<Integer> {

    /** Exit code when Consul or the Stargate failed (bad input is 2, through {@link io.edgemanifest.core.cli.Cli}). */
    static final int FAILED = 1;

    abstract CommandSpec spec();

    abstract int run(PrintWriter out);

    @Override
    public final Integer call() {
        PrintWriter out = spec().commandLine().getOut();
        try {
            int code = run(out);
            out.flush();
            return code;
        } catch (IllegalArgumentException e) {
            out.flush();
            throw e; // bad input: Cli prints it in one line, exit 2
        } catch (RuntimeException e) {
            out.flush();
            PrintWriter err = spec().commandLine().getErr();
            err.println(spec().qualifiedName() + ": " + oneLine(e));
            err.flush();
            return FAILED;
        }
    }

    static String oneLine(Throwable e) {
        String message = e.getMessage() != null ? e.getMessage() : Errors.rootMessage(e);
        return message.replaceAll("\\s+", " ").strip();
    }
}
