package io.edgemanifest.explorer.ha;

import java.time.Duration;
import java.util.Objects;

/**
 * How this Explorer decides whether it ingests.
 *
 * @param enabled  several Explorers share one PostgreSQL store: only the holder of the Consul lock
 *                 {@code lockKey} ingests, the others serve the API from the store; off, this
 *                 Explorer ingests alone (it still claims the store's ingest lease at start, so a
 *                 second one started on the same store by mistake fences the first out, never both write)
 * @param lockKey  the lock's key in the Explorer's Consul (the explorer role may write {@code explorer/})
 * @param lockTtl  TTL of the check the lock's session is bound to: a dead holder's lock is free
 *                 after it, and a standby holds the lock within about 1 s more
 */
public record HaConfig(boolean enabled, String lockKey, Duration lockTtl) {

    public static final String DEFAULT_LOCK_KEY = "explorer/lock";
    public static final Duration DEFAULT_LOCK_TTL = Duration.ofSeconds(10);
    /** One Explorer, ingesting alone. */
    public static final HaConfig SOLO = new HaConfig(false, DEFAULT_LOCK_KEY, DEFAULT_LOCK_TTL);

    public HaConfig {
        Objects.requireNonNull(lockKey, "lockKey");
        Objects.requireNonNull(lockTtl, "lockTtl");
        if (lockKey.isEmpty() || lockKey.length() > 256 || lockKey.startsWith("/") || lockKey.endsWith("/")
                || !lockKey.matches("[A-Za-z0-9._/-]+") || lockKey.contains("//")) {
            throw new IllegalArgumentException("invalid --lock-key '" + lockKey
                    + "' (a Consul key such as explorer/lock: letters, digits, '.', '_', '-', '/')");
        }
        // Consul's TTL checks count whole seconds; under 3 s a GC pause or a busy agent would hand over for nothing.
        if (lockTtl.toMillis() < 3000 || lockTtl.toMillis() % 1000 != 0 || lockTtl.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("invalid --lock-ttl " + io.edgemanifest.core.cli.Durations.format(lockTtl)
                    + " (whole seconds, from 3s to 1h)");
        }
    }
}
