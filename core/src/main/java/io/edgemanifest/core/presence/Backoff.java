package io.edgemanifest.core.presence;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Capped exponential back-off with jitter: 100 ms, 200 ms, 400 ms … up to the cap, each delay drawn
 * from its upper half so thousands of nodes that lost Consul together do not return in lock-step.
 * Not thread-safe: one per retry loop.
 */
public final class Backoff {

    private final Duration initial;
    private final Duration cap;
    private int attempt;

    public Backoff(Duration initial, Duration cap) {
        if (initial.isNegative() || initial.isZero() || cap.compareTo(initial) < 0) {
            throw new IllegalArgumentException("back-off needs 0 < initial <= cap: " + initial + ", " + cap);
        }
        this.initial = initial;
        this.cap = cap;
    }

    /** The next delay to wait. */
    public Duration next() {
        long base = initial.toMillis() << Math.min(attempt, 30);
        long ceiling = Math.min(base <= 0 ? Long.MAX_VALUE : base, cap.toMillis());
        attempt++;
        long half = ceiling / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(ceiling - half + 1));
    }

    public void reset() {
        attempt = 0;
    }

    public int attempts() {
        return attempt;
    }
}
