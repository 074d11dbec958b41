package io.edgemanifest.explorer.store;

import java.time.Instant;

/**
 * Share of time online (0..1) over a window, from events. Time while UNKNOWN counts neither as
 * online nor offline: it is left out of the denominator. {@code observed} is the part of the
 * window the device was known (first seen onwards).
 */
public record Availability(Instant from, Instant to, double online, long observedMillis) {
}
