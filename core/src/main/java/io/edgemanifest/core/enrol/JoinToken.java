package io.edgemanifest.core.enrol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A join token, {@code edge1.<token-id>.<secret>.<ca-sha256-hex>}: a short-lived secret a host
 * exchanges once at its Stargate for its own Consul token, plus the SHA-256 of the Stargate CA's
 * certificate (DER) the host must find in the TLS chain before it sends the secret (kubeadm's
 * bootstrap token and {@code --discovery-token-ca-cert-hash} in one string).
 *
 * <p>Error messages never contain the text: it is a secret, and messages end up in terminals and logs.
 *
 * @param id     16 lower-case hex characters (64 random bits): the name of the Stargate's record, not secret
 * @param secret 26 characters of lower-case base32 (130 random bits); the Stargate stores only its SHA-256
 * @param caPin  64 lower-case hex characters: SHA-256 of the CA certificate's DER encoding
 */
public record JoinToken(String id, String secret, String caPin) {

    /** Format version, so a later format can be told apart rather than misparsed. */
    public static final String VERSION = "edge1";
    /** Longer input is refused before any parsing (a join token is ~114 characters). */
    public static final int MAX_LENGTH = 256;

    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern SECRET = Pattern.compile("[a-z2-7]{26}");
    private static final Pattern PIN = Pattern.compile("[0-9a-f]{64}");
    private static final char[] BASE32 = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    private static final String FORMAT = "expected " + VERSION + ".<16 hex id>.<26 base32 secret>.<64 hex CA sha256>";

    public JoinToken {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("invalid join token id '" + id + "': " + FORMAT);
        }
        // The secret itself is never echoed.
        if (secret == null || !SECRET.matcher(secret).matches()) {
            throw new IllegalArgumentException("invalid join token " + id + ": malformed secret; " + FORMAT);
        }
        if (caPin == null || !PIN.matcher(caPin).matches()) {
            throw new IllegalArgumentException("invalid join token " + id + ": malformed CA pin; " + FORMAT);
        }
    }

    /** A new token pinned to {@code caPin}, with a fresh random id and secret. */
    public static JoinToken generate(String caPin, SecureRandom random) {
        byte[] id = new byte[8];
        random.nextBytes(id);
        StringBuilder secret = new StringBuilder(26);
        for (int i = 0; i < 26; i++) {
            secret.append(BASE32[random.nextInt(BASE32.length)]);
        }
        return new JoinToken(HexFormat.of().formatHex(id), secret.toString(), caPin);
    }

    /**
     * Parses the token text (surrounding whitespace, e.g. a file's newline, is ignored).
     *
     * @throws IllegalArgumentException for oversized or malformed text, without echoing it
     */
    public static JoinToken parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("empty join token: " + FORMAT);
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("join token is " + text.length() + " characters, more than "
                    + MAX_LENGTH + ": not a join token");
        }
        String[] parts = text.strip().split("\\.", -1);
        if (parts.length != 4 || !VERSION.equals(parts[0])) {
            throw new IllegalArgumentException("malformed join token: " + FORMAT);
        }
        return new JoinToken(parts[1], parts[2], parts[3]);
    }

    /**
     * Reads and parses a join token file, refusing files larger than {@link #MAX_LENGTH} bytes
     * before reading them (a wrong path such as a log file must not be loaded whole).
     */
    public static JoinToken readFile(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            long size = Files.size(file);
            if (size > MAX_LENGTH) {
                throw new IllegalArgumentException("join token file " + file + " holds " + size
                        + " bytes, more than " + MAX_LENGTH + ": not a join token");
            }
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("join token file " + file + " does not exist");
        } catch (IOException e) {
            throw new IllegalArgumentException("join token file " + file + " is not readable: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("join token file")) {
                throw e;
            }
            throw new IllegalArgumentException("join token file " + file + ": " + e.getMessage());
        }
    }

    /** The text to hand to a host operator. It contains the secret: print it only where asked. */
    public String text() {
        return VERSION + "." + id + "." + secret + "." + caPin;
    }

    /** SHA-256 of a secret, hex: what the Stargate stores instead of the secret. */
    public static String hash(String secret) {
        return HexFormat.of().formatHex(sha256(secret.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Whether {@code secret} hashes to {@code expectedHashHex}, compared in constant time (the
     * comparison's duration must not tell an attacker how many leading characters were right).
     */
    public static boolean secretMatches(String secret, String expectedHashHex) {
        if (secret == null || expectedHashHex == null) {
            return false;
        }
        byte[] expected;
        try {
            expected = HexFormat.of().parseHex(expectedHashHex);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(sha256(secret.getBytes(StandardCharsets.UTF_8)), expected);
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Redacted: records print their components, and this one must never print its secret. */
    @Override
    public String toString() {
        return "JoinToken[id=" + id + ", secret=<redacted>, caPin=" + caPin + "]";
    }
}
