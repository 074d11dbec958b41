package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoginLimiterTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LoginLimiter limiter = new LoginLimiter(5, Duration.ofMinutes(1), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void theSixthTryWithinAMinuteWaitsUntilTheOldestFailureIsAMinuteOld() {
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.retryAfter("10.0.0.1", "alice")).isZero();
            limiter.failed("10.0.0.1", "alice");
            advance(Duration.ofSeconds(10));
        }
        // failures at 0, 10, 20, 30, 40 s; now 50 s
        assertThat(limiter.retryAfter("10.0.0.1", "alice")).isEqualTo(Duration.ofSeconds(10));
        advance(Duration.ofSeconds(10));
        assertThat(limiter.retryAfter("10.0.0.1", "alice")).isZero();
    }

    @Test
    void oneAddressIsLimitedWhateverUserItTriesAndOneUserWhateverAddressItComesFrom() {
        for (int i = 0; i < 5; i++) {
            limiter.failed("10.0.0.1", "user" + i);
        }
        assertThat(limiter.retryAfter("10.0.0.1", "someone-new")).isPositive();
        assertThat(limiter.retryAfter("10.0.0.2", "user0")).isZero();

        for (int i = 0; i < 5; i++) {
            limiter.failed("192.168.0." + i, "bob");
        }
        assertThat(limiter.retryAfter("192.168.0.99", "bob")).isPositive();
        assertThat(limiter.retryAfter("192.168.0.99", "carol")).isZero();
    }

    @Test
    void failuresOlderThanTheWindowAreForgotten() {
        for (int i = 0; i < 4; i++) {
            limiter.failed("10.0.0.1", "alice");
        }
        advance(Duration.ofSeconds(61));
        limiter.failed("10.0.0.1", "alice");
        assertThat(limiter.retryAfter("10.0.0.1", "alice")).isZero();
    }
}
