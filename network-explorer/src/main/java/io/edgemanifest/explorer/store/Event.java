package io.edgemanifest.explorer.store;

import java.time.Instant;

/** One transition of one device. {@code detail} is free text (e.g. "sg-a -> sg-b", "version 1 -> 2"). */
public record Event(long seq, String deviceId, EventType type, Instant at, String datacenter, String detail) {
}
