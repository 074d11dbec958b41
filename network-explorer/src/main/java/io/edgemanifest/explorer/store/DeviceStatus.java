package io.edgemanifest.explorer.store;

/** A device's status as the Explorer sees it. */
public enum DeviceStatus {
    /** Passing service and a key in some source datacenter. */
    ONLINE,
    /** Gone from every source datacenter. */
    OFFLINE,
    /** Its datacenter's replicate status is unreachable: we do not know. */
    UNKNOWN
}
