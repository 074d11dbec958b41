package io.edgemanifest.explorer.store;

import java.time.Instant;

/**
 * What ingest tells the store about one device: its new state, and the event it implies (or none,
 * e.g. a lastSeen refresh). Applied atomically with the other changes of the same batch.
 */
public record Change(Device device, EventType event, Instant at, String detail) {
}
