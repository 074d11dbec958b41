package io.edgemanifest.core.enrol;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A secret kept in a file readable by its owner only (mode 0600): a host's Consul token, a
 * Stargate's admin secret, a role token written by {@code stargate acl token create}.
 *
 * <p>Writes go to a temporary file created with mode 0600 from the start (never a moment
 * world-readable, whatever the umask), flushed to disk, then renamed over the target: a crash
 * leaves the old secret or the new one, never half of one — a host that lost its token would have
 * to enrol again with a new join token.
 */
public final class TokenFile {

    /** Larger files are refused unread: a secret is short, a wrong path may be a huge log. */
    public static final int MAX_BYTES = 4096;
    public static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7e]{1,512}");

    private TokenFile() {
    }

    /** Writes {@code secret} (one line) to {@code file} with mode 0600, atomically. */
    public static void write(Path file, String secret) {
        requireSecret(secret, file);
        writeOwnerOnly(file, secret + "\n");
    }

    /** Writes {@code content} to {@code file} with mode 0600, atomically (e.g. a PEM private key). */
    public static void writeOwnerOnly(Path file, String content) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                channel.write(StandardCharsets.UTF_8.encode(content));
                channel.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (UnsupportedOperationException e) {
            throw new IllegalArgumentException("cannot write " + file + " with owner-only permissions: "
                    + "its file system has no POSIX permissions");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": " + e.getMessage());
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the temp file holds the secret, but with mode 0600
                }
            }
        }
    }

    /**
     * The secret in {@code file}, or empty when the file does not exist.
     *
     * @throws IllegalArgumentException when it exists but is unreadable, too large, empty or not one printable word
     */
    public static Optional<String> read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw new IllegalArgumentException(file + " holds " + size + " bytes, more than " + MAX_BYTES
                        + ": not a token file");
            }
            String secret = Files.readString(file, StandardCharsets.UTF_8).strip();
            requireSecret(secret, file);
            return Optional.of(secret);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Whether {@code file} is readable or writable by anyone but its owner. */
    public static boolean isExposed(Path file) {
        try {
            return !OWNER_ONLY.containsAll(Files.getPosixFilePermissions(file));
        } catch (IOException | UnsupportedOperationException e) {
            return true;
        }
    }

    private static void requireSecret(String secret, Path file) {
        // The message names the file, never the content.
        if (secret == null || !PRINTABLE.matcher(secret).matches()) {
            throw new IllegalArgumentException(file + " does not hold a token (one word of printable characters expected)");
        }
    }
}
