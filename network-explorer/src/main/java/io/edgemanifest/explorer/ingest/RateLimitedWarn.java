package io.edgemanifest.explorer.ingest;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * WARN lines for failures that repeat (a store that stays down, a bad key read again with every
 * answer): the first of each key is logged at once, then at most one per {@code every} with the
 * number left out meanwhile. An operator sees every kind of problem, and a problem that repeats
 * every second does not bury the others. Keys are bounded, oldest forgotten first.
 */
final class RateLimitedWarn {

    private static final int MAX_KEYS = 1024;

    private final Logger log;
    private final long everyNanos;
    private final Map<String, long[]> last = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
            return size() > MAX_KEYS;
        }
    };

    RateLimitedWarn(Logger log, Duration every) {
        this.log = log;
        this.everyNanos = every.toNanos();
    }

    /** Logs {@code format} at WARN unless {@code key} was logged less than {@code every} ago (then counts it). */
    synchronized void warn(String key, String format, Object... args) {
        long now = System.nanoTime();
        long[] entry = last.get(key);
        if (entry != null && now - entry[0] < everyNanos) {
            entry[1]++;
            return;
        }
        long suppressed = entry == null ? 0 : entry[1];
        last.put(key, new long[] {now, 0});
        if (suppressed > 0) {
            log.warn(format + " (and " + suppressed + " times more since the last such line)", args);
        } else {
            log.warn(format, args);
        }
    }

    /** Forgets {@code key}: its next failure is logged at once (call when it recovered). */
    synchronized boolean clear(String key) {
        return last.remove(key) != null;
    }
}
