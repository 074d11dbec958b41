package io.edgemanifest.explorer.auth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code --auth-file} that is re-read when it changes (modification time or size), so adding a
 * user, changing a password or removing one needs no restart. A file that turns malformed keeps the
 * last good users and is logged once per change: a typo must not lock every admin out.
 */
public final class CredentialsFile {

    private static final Logger log = LoggerFactory.getLogger(CredentialsFile.class);
    /** At most one stat per this many nanoseconds: sessions are checked on every request. */
    private static final long STAT_EVERY_NANOS = 1_000_000_000L;

    private final Path path;
    private volatile Credentials current;
    private volatile Stamp stamp;
    private volatile long checkedAt;

    private record Stamp(FileTime modified, long size) {
    }

    private CredentialsFile(Path path, Credentials current, Stamp stamp) {
        this.path = path;
        this.current = current;
        this.stamp = stamp;
        this.checkedAt = System.nanoTime();
    }

    /** Loads {@code path} now; throws {@link IllegalArgumentException} (exit 2) naming a bad file or line. */
    public static CredentialsFile load(Path path) {
        Objects.requireNonNull(path, "path");
        Stamp stamp = stamp(path);
        return new CredentialsFile(path, Credentials.load(path), stamp);
    }

    public Path path() {
        return path;
    }

    /** The users as the file says now (re-read if it changed since the last look). */
    public Credentials current() {
        long now = System.nanoTime();
        if (now - checkedAt >= STAT_EVERY_NANOS) {
            checkedAt = now;
            reloadIfChanged();
        }
        return current;
    }

    /** Re-reads the file if its modification time or size changed; visible for tests. */
    synchronized void reloadIfChanged() {
        Stamp now;
        try {
            now = stamp(path);
        } catch (IllegalArgumentException e) {
            if (stamp != null) {
                log.warn("auth: {}; keeping the {} user(s) read before", e.getMessage(), current.size());
            }
            stamp = null;
            return;
        }
        if (now.equals(stamp)) {
            return;
        }
        stamp = now;
        try {
            current = Credentials.load(path);
            log.info("auth: re-read {}: {} user(s)", path, current.size());
        } catch (IllegalArgumentException e) {
            log.warn("auth: {}; keeping the {} user(s) read before", e.getMessage(), current.size());
        }
    }

    private static Stamp stamp(Path path) {
        try {
            return new Stamp(Files.getLastModifiedTime(path), Files.size(path));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read --auth-file " + path + ": "
                    + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
    }
}
