package io.edgemanifest.explorer.auth;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Login sessions, in memory: a random 256-bit token per login, ended by logout or after
 * {@code idle} without a request. A restart logs everyone out, which is the price of keeping no
 * session secret on disk.
 */
public final class Sessions {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** Who logged in, with the credential hash it was checked against (a changed password ends the session). */
    public record Session(String user, String credential) {
    }

    private static final class Entry {
        final Session session;
        volatile long lastUsed;

        Entry(Session session, long lastUsed) {
            this.session = session;
            this.lastUsed = lastUsed;
        }
    }

    /** Sessions kept at most: a user who scripts logins cannot grow memory without bound; the least recently used goes first. */
    static final int MAX_SESSIONS = 10_000;

    private final long idleNanos;
    private final LongSupplier nanos;
    private final int max;
    private final Map<String, Entry> byToken = new ConcurrentHashMap<>();

    public Sessions(Duration idle, LongSupplier nanos) {
        this(idle, nanos, MAX_SESSIONS);
    }

    Sessions(Duration idle, LongSupplier nanos, int max) {
        if (idle.isNegative() || idle.isZero()) {
            throw new IllegalArgumentException("invalid --session-idle " + idle + " (must be positive)");
        }
        this.idleNanos = idle.toNanos();
        this.nanos = nanos;
        this.max = max;
    }

    /** Opens a session and returns its token (URL-safe base64 of 32 random bytes). */
    public synchronized String open(String user, String credential) {
        long now = nanos.getAsLong();
        byToken.values().removeIf(e -> now - e.lastUsed >= idleNanos);
        while (byToken.size() >= max) {
            byToken.entrySet().stream().min(java.util.Comparator.comparingLong(e -> e.getValue().lastUsed))
                    .ifPresent(oldest -> byToken.remove(oldest.getKey(), oldest.getValue()));
        }
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        byToken.put(token, new Entry(new Session(user, credential), now));
        return token;
    }

    /** The live session of {@code token}, marked used now; empty if unknown, ended or idle too long. */
    public Optional<Session> find(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        Entry e = byToken.get(token);
        if (e == null) {
            return Optional.empty();
        }
        long now = nanos.getAsLong();
        if (now - e.lastUsed >= idleNanos) {
            byToken.remove(token, e);
            return Optional.empty();
        }
        e.lastUsed = now;
        return Optional.of(e.session);
    }

    /**
     * The live session of {@code token} without marking it used: for a long request (a live stream)
     * asking whether it may go on. An open page must not keep a forgotten session alive for ever.
     */
    public Optional<Session> peek(String token) {
        Entry e = token == null ? null : byToken.get(token);
        if (e == null || nanos.getAsLong() - e.lastUsed >= idleNanos) {
            return Optional.empty();
        }
        return Optional.of(e.session);
    }

    public void close(String token) {
        if (token != null) {
            byToken.remove(token);
        }
    }

    public int size() {
        return byToken.size();
    }
}
