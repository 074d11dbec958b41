package io.edgemanifest.explorer.store;

import java.time.Instant;
import java.util.Map;

/**
 * One device the Explorer has ever seen, as stored.
 *
 * @param recordJson  the latest node record JSON (null if never parseable)
 * @param parseError  why the latest record could not be read, or null
 * @param gateway     for hosts: the gateway ID from the latest record
 */
public record Device(String id, String kind, String datacenter, DeviceStatus status, Instant firstSeen,
                     Instant lastSeen, Instant statusSince, String recordJson, String parseError, String gateway,
                     String city, String country, Map<String, String> labels) {

    public Device {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }
}
