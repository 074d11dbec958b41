package io.edgemanifest.explorer.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The users of an {@code --auth-file}: {@code user:bcrypt-hash} lines exactly as {@code htpasswd -B}
 * writes them ({@code $2y$}; {@code $2a$} and {@code $2b$} too), {@code #} comments and blank lines
 * ignored. Immutable; {@link CredentialsFile} swaps in a new one when the file changes.
 */
public final class Credentials {

    private static final Pattern HASH = Pattern.compile("\\$2[aby]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");
    private static final Pattern USER = Pattern.compile("[^:\\s\\p{Cntrl}]{1,128}");
    /** bcrypt reads 72 bytes of a password; htpasswd truncates there too, so verify as it does. */
    private static final BCrypt.Verifyer VERIFYER = BCrypt.verifyer(BCrypt.Version.VERSION_2Y,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y));

    private final Map<String, String> hashes;
    /** Verified against when the user is unknown, so that answer costs what a wrong password costs. */
    private final String decoy;

    private Credentials(Map<String, String> hashes, String decoy) {
        this.hashes = Map.copyOf(hashes);
        this.decoy = decoy;
    }

    /** Reads {@code file}; an unreadable file or a malformed line is an {@link IllegalArgumentException} naming it. */
    public static Credentials load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read --auth-file " + file + ": " + reason(e));
        }
        return parse(file.toString(), lines);
    }

    /** Parses the lines of the file named {@code name} (only used in messages). */
    public static Credentials parse(String name, List<String> lines) {
        Map<String, String> hashes = new LinkedHashMap<>();
        int maxCost = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String where = "invalid --auth-file " + name + " line " + (i + 1) + ": ";
            // The message never repeats the line: it holds a password hash.
            if (colon < 0 || !USER.matcher(line.substring(0, colon)).matches()) {
                throw new IllegalArgumentException(where + "expected user:bcrypt-hash (as htpasswd -B writes it)");
            }
            Matcher hash = HASH.matcher(line.substring(colon + 1));
            if (!hash.matches()) {
                throw new IllegalArgumentException(where + "the hash is not bcrypt ($2y$, $2a$ or $2b$, as htpasswd -B writes it)");
            }
            int cost = Integer.parseInt(hash.group(1));
            if (cost < BCrypt.MIN_COST || cost > BCrypt.MAX_COST) {
                throw new IllegalArgumentException(where + "bcrypt cost " + cost + " is outside 4..31");
            }
            String user = line.substring(0, colon);
            if (hashes.putIfAbsent(user, line.substring(colon + 1)) != null) {
                throw new IllegalArgumentException(where + "user '" + user + "' appears twice");
            }
            maxCost = Math.max(maxCost, cost);
        }
        if (hashes.isEmpty()) {
            throw new IllegalArgumentException("invalid --auth-file " + name + ": no user:bcrypt-hash line (nobody could log in)");
        }
        String decoy = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(maxCost,
                java.util.UUID.randomUUID().toString().toCharArray());
        return new Credentials(hashes, decoy);
    }

    /**
     * Whether {@code password} is {@code user}'s. Always runs one bcrypt verification, for unknown
     * users too: the answer's timing does not say whether a user exists.
     */
    public boolean verify(String user, String password) {
        String hash = user == null ? null : hashes.get(user);
        byte[] pw = (password == null ? "" : password).getBytes(StandardCharsets.UTF_8);
        try {
            boolean ok = VERIFYER.verify(pw, (hash == null ? decoy : hash).getBytes(StandardCharsets.US_ASCII)).verified;
            return ok && hash != null;
        } finally {
            Arrays.fill(pw, (byte) 0);
        }
    }

    /** The user's hash (a session is bound to it: a changed password or removed user ends it), or null. */
    public String hashOf(String user) {
        return hashes.get(user);
    }

    public int size() {
        return hashes.size();
    }

    private static String reason(Exception e) {
        return e instanceof java.nio.file.NoSuchFileException ? "no such file"
                : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                : e instanceof java.nio.charset.MalformedInputException ? "not UTF-8 text"
                : String.valueOf(e.getMessage());
    }
}
