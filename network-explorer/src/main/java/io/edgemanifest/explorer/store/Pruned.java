package io.edgemanifest.explorer.store;

/** What one retention run did: hours rolled up, raw events deleted, rollup rows written. */
public record Pruned(int hours, long eventsDeleted, long rollupsWritten) {
}
