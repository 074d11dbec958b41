package io.edgemanifest.explorer.store;

import java.time.Instant;

/**
 * A stretch of a device's timeline: {@code status} is online, offline, unknown, or nodata where
 * nothing was observed (before it was first seen, or the Explorer itself was not ingesting).
 */
public record StateSpan(String status, Instant from, Instant to) {
}
