package io.edgemanifest.explorer.auth;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Counts failed logins per client address and per user name in a sliding window: after
 * {@code maxFailures} within {@code window} that address, or that user from anywhere, is refused
 * (429) until the oldest failure leaves the window. The per-user limit stops a spread-out
 * (many-address) guess at one password; its price is that a stranger who fails on purpose keeps
 * that user out until a minute after they stop (stated in docs/security.md).
 */
public final class LoginLimiter {

    /** Keys kept at most; beyond it expired entries are dropped first, so a flood of names cannot grow it without bound. */
    private static final int MAX_KEYS = 100_000;

    private final int maxFailures;
    private final long windowNanos;
    private final LongSupplier nanos;
    private final Map<String, Deque<Long>> failures = new HashMap<>();

    public LoginLimiter(int maxFailures, Duration window, LongSupplier nanos) {
        if (maxFailures < 1) {
            throw new IllegalArgumentException("invalid login failure limit " + maxFailures);
        }
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("invalid login failure window " + window);
        }
        this.maxFailures = maxFailures;
        this.windowNanos = window.toNanos();
        this.nanos = nanos;
    }

    /** 5 failures a minute, on the monotonic clock. */
    public static LoginLimiter standard() {
        return new LoginLimiter(5, Duration.ofMinutes(1), System::nanoTime);
    }

    /** How long this address or user must wait before trying again, or {@link Duration#ZERO} if it may try now. */
    public synchronized Duration retryAfter(String address, String user) {
        long now = nanos.getAsLong();
        return max(wait(key("a", address), now), wait(key("u", user), now));
    }

    /** Records one failed login. */
    public synchronized void failed(String address, String user) {
        long now = nanos.getAsLong();
        if (failures.size() >= MAX_KEYS) {
            failures.values().removeIf(q -> expire(q, now));
        }
        for (String key : new String[] {key("a", address), key("u", user)}) {
            Deque<Long> q = failures.computeIfAbsent(key, k -> new ArrayDeque<>());
            expire(q, now);
            q.addLast(now);
            while (q.size() > maxFailures) {
                q.removeFirst();
            }
        }
    }

    private Duration wait(String key, long now) {
        Deque<Long> q = failures.get(key);
        if (q == null) {
            return Duration.ZERO;
        }
        if (expire(q, now)) {
            failures.remove(key);
            return Duration.ZERO;
        }
        return q.size() < maxFailures ? Duration.ZERO : Duration.ofNanos(q.peekFirst() + windowNanos - now);
    }

    /** Drops failures older than the window; true when none is left. */
    private boolean expire(Deque<Long> q, long now) {
        while (!q.isEmpty() && now - q.peekFirst() >= windowNanos) {
            q.removeFirst();
        }
        return q.isEmpty();
    }

    private static String key(String kind, String value) {
        return kind + ":" + (value == null ? "" : value);
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
