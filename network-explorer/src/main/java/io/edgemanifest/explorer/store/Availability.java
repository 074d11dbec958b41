package io.edgemanifest.explorer.store;

import java.time.Instant;

/**
 * Share of time online (0..1) over a window, from events. Time while UNKNOWN counts neither as
 * online nor offline: it is left out of the denominator. {@code observed} is the part of the
 * window the device was known (first seen onwards), its status was known (not UNKNOWN) and the
 * Explorer itself was running; {@code online} is 0 when nothing was observed: see {@link #share()}.
 */
public record Availability(Instant from, Instant to, double online, long observedMillis) {

    /**
     * The share online, or null when no time of the window was observed: "no data" is neither 0 %
     * nor below any target (the device unknown, not yet seen, or the Explorer down meanwhile).
     */
    public Double share() {
        return observedMillis == 0 ? null : online;
    }
}
