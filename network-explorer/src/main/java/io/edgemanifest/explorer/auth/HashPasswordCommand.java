package io.edgemanifest.explorer.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code network-explorer hash-password USER}: an {@code --auth-file} line for machines without
 * {@code htpasswd}. The password comes from the terminal (not echoed) or one line of stdin, never
 * from the command line, which every local user can read in {@code /proc}.
 */
@Command(name = "hash-password", mixinStandardHelpOptions = true,
        description = {"Reads a password (the terminal, not echoed, or the first line of stdin) and prints "
                + "USER:bcrypt-hash, a line for --auth-file, as htpasswd -B would write it.",
                "Example: network-explorer hash-password alice >> explorer.users"})
public final class HashPasswordCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "USER", description = "The user name (no ':', no spaces).")
    String user;

    @Option(names = "--cost", paramLabel = "N", defaultValue = "10",
            description = "bcrypt cost, 4..31 (each +1 doubles the time of every login check). Default: ${DEFAULT-VALUE}")
    int cost;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!user.matches("[^:\\s\\p{Cntrl}]{1,128}")) {
            throw new IllegalArgumentException("invalid USER '" + user + "' (1..128 characters, no ':', spaces or control characters)");
        }
        if (cost < BCrypt.MIN_COST || cost > BCrypt.MAX_COST) {
            throw new IllegalArgumentException("invalid --cost " + cost + " (4..31)");
        }
        char[] password = read();
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("no password on stdin (give one line)");
        }
        if (new String(password).getBytes(StandardCharsets.UTF_8).length > 72) {
            throw new IllegalArgumentException("the password is longer than 72 bytes, which bcrypt would silently cut");
        }
        String hash = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(cost, password);
        java.util.Arrays.fill(password, '\0');
        spec.commandLine().getOut().println(user + ":" + hash);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static char[] read() throws IOException {
        java.io.Console console = System.console();
        if (console != null && terminal(console)) {
            return console.readPassword("password: ");
        }
        String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        return line == null ? null : line.toCharArray();
    }

    /**
     * Java 22+ hands out a Console for piped stdin too and says so with isTerminal(); Java 21 (our
     * release level) has no such method and gives a Console only to a terminal.
     */
    private static boolean terminal(java.io.Console console) {
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }
}
