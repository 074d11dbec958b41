package io.edgemanifest.explorer.store;

import java.time.Instant;

/**
 * One transition of one device. {@code detail} is free text (e.g. "sg-a -> sg-b", "version 1 -> 2").
 * {@code kind} is the device's kind when read with it (network-wide reads), else null.
 */
public record Event(long seq, String deviceId, EventType type, Instant at, String datacenter, String detail, String kind) {

    public Event(long seq, String deviceId, EventType type, Instant at, String datacenter, String detail) {
        this(seq, deviceId, type, at, datacenter, detail, null);
    }
}
