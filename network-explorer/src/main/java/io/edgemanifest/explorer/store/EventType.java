package io.edgemanifest.explorer.store;

/** What happened to a device. */
public enum EventType {
    ONLINE, OFFLINE, MIGRATED, UPDATED, UNKNOWN
}
