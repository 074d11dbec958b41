package io.edgemanifest.core.cli;

import io.edgemanifest.core.consul.ConsulToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * Where a program's Consul ACL token comes from: a file ({@code --token-file} / {@code
 * EDGE_TOKEN_FILE}) or the environment ({@code EDGE_TOKEN}) — never a command-line argument, which
 * every local user can read in {@code /proc/<pid>/cmdline}. Mixed into every command that talks to
 * Consul, with the CA file for {@code https://} Consul URLs.
 */
public final class TokenOptions {

    private static final Logger log = LoggerFactory.getLogger(TokenOptions.class);
    /** Consul tokens are UUIDs; anything much longer in a token file is not one. */
    private static final long MAX_TOKEN_FILE = 4096;

    @Option(names = "--token-file", paramLabel = "FILE", defaultValue = "${env:EDGE_TOKEN_FILE}",
            description = "File holding the Consul ACL token (keep it mode 0600). Env EDGE_TOKEN_FILE; or put the "
                    + "token itself in env EDGE_TOKEN. Tokens are never taken as arguments (they would show in the process list).")
    public Path tokenFile;

    @Option(names = "--consul-ca-file", paramLabel = "FILE", defaultValue = "${env:EDGE_CONSUL_CA_FILE}",
            description = "PEM certificate authority to trust for https:// Consul URLs (default: the JVM's). Env EDGE_CONSUL_CA_FILE.")
    public Path consulCaFile;

    /** The token: from the file when given, else from EDGE_TOKEN, else none. */
    public ConsulToken token() {
        return ConsulToken.of(tokenFile != null ? readTokenFile(tokenFile) : System.getenv("EDGE_TOKEN"));
    }

    /** Where the token came from, for messages (never the token itself). */
    public String source() {
        if (tokenFile != null) {
            return "--token-file " + tokenFile;
        }
        String env = System.getenv("EDGE_TOKEN");
        return env != null && !env.isBlank() ? "EDGE_TOKEN" : "none (set EDGE_TOKEN or --token-file)";
    }

    /** Reads a token file; a missing, unreadable, empty or oversized file is bad config (exit 2). */
    public static String readTokenFile(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("invalid --token-file '" + file + "': no such file");
            }
            if (Files.size(file) > MAX_TOKEN_FILE) {
                throw new IllegalArgumentException("invalid --token-file '" + file + "': over " + MAX_TOKEN_FILE
                        + " bytes, not a token");
            }
            String token = Files.readString(file).strip();
            if (token.isEmpty()) {
                throw new IllegalArgumentException("invalid --token-file '" + file + "': empty");
            }
            warnIfReadableByOthers(file);
            return token;
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid --token-file '" + file + "': " + e.getMessage());
        }
    }

    private static void warnIfReadableByOthers(Path file) {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                log.warn("token file {} is readable by other users: chmod 600 it", file);
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("cannot read the permissions of {}", file, e);
        }
    }
}
