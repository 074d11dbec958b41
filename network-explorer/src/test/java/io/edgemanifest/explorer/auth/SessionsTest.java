package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SessionsTest {

    private final AtomicLong now = new AtomicLong();
    private final Sessions sessions = new Sessions(Duration.ofHours(12), now::get);

    @Test
    void tokensAre256RandomBitsAndNeverRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String token = sessions.open("alice", "h");
            assertThat(token).matches("[A-Za-z0-9_-]{43}");
            assertThat(seen.add(token)).isTrue();
        }
    }

    @Test
    void aSessionEndsAfterItsIdleTimeButEveryUseRestartsThatTime() {
        String token = sessions.open("alice", "h");
        now.addAndGet(Duration.ofHours(11).toNanos());
        assertThat(sessions.find(token)).map(Sessions.Session::user).contains("alice");
        now.addAndGet(Duration.ofHours(11).toNanos());
        assertThat(sessions.find(token)).isPresent();
        now.addAndGet(Duration.ofHours(12).toNanos());
        assertThat(sessions.find(token)).isEmpty();
        assertThat(sessions.size()).isZero();
    }

    @Test
    void closedAndUnknownTokensFindNothing() {
        String token = sessions.open("alice", "h");
        sessions.close(token);
        assertThat(sessions.find(token)).isEmpty();
        assertThat(sessions.find(null)).isEmpty();
        assertThat(sessions.find("")).isEmpty();
        assertThat(sessions.find("A".repeat(43))).isEmpty();
    }

    @Test
    void atTheCapTheLeastRecentlyUsedSessionMakesRoom() {
        Sessions capped = new Sessions(Duration.ofHours(12), now::get, 3);
        String a = capped.open("alice", "h");
        now.incrementAndGet();
        String b = capped.open("alice", "h");
        now.incrementAndGet();
        String c = capped.open("alice", "h");
        now.incrementAndGet();
        assertThat(capped.find(a)).isPresent(); // a is now the most recently used
        now.incrementAndGet();
        String d = capped.open("alice", "h");
        assertThat(capped.size()).isEqualTo(3);
        assertThat(capped.find(b)).isEmpty();
        assertThat(capped.find(a)).isPresent();
        assertThat(capped.find(c)).isPresent();
        assertThat(capped.find(d)).isPresent();
    }

    @Test
    void aNonPositiveIdleIsRefused() {
        assertThatThrownBy(() -> new Sessions(Duration.ZERO, now::get)).hasMessageContaining("--session-idle");
    }
}
