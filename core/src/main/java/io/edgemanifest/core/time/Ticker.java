package io.edgemanifest.core.time;

import java.time.Instant;

/**
 * The two clocks a node needs, kept apart: a monotonic one for every interval (heartbeats, verify,
 * back-off, how long Consul has been unreachable) and the wall clock for what a person reads (logs,
 * records). Edge devices step their wall clock at boot when NTP first answers — often by hours — and
 * an interval measured on it would look like an hour-long outage and make a host migrate. Injected so
 * tests can step the wall clock of one node (libfaketime is not available everywhere).
 */
public interface Ticker {

    /** Monotonic nanoseconds, only meaningful as a difference (like {@link System#nanoTime()}). */
    long nanoTime();

    /** The wall clock: for display only, never for a duration. */
    Instant wallTime();

    /** The JVM's own clocks. */
    Ticker SYSTEM = new Ticker() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public Instant wallTime() {
            return Instant.now();
        }

        @Override
        public String toString() {
            return "Ticker.SYSTEM";
        }
    };
}
