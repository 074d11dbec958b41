package io.edgemanifest.explorer.store;

import java.time.Instant;
import java.util.Map;

/**
 * One device the Explorer has ever seen, as stored.
 *
 * @param recordJson  the latest node record JSON (null if never parseable)
 * @param parseError  why the latest record could not be read, or null
 * @param gateway     for hosts: the gateway ID from the latest record
 * @param lat         latitude from the record's location (-90..90), or null
 * @param lon         longitude from the record's location (-180..180), or null
 */
public record Device(String id, String kind, String datacenter, DeviceStatus status, Instant firstSeen,
                     Instant lastSeen, Instant statusSince, String recordJson, String parseError, String gateway,
                     String city, String country, Map<String, String> labels, Double lat, Double lon) {

    public Device {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        // Both or neither: half a position cannot be placed on a map.
        if (lat == null || lon == null || lat.isNaN() || lon.isNaN() || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
            lat = null;
            lon = null;
        }
    }

    /** A device without a location (what every device was before #13). */
    public Device(String id, String kind, String datacenter, DeviceStatus status, Instant firstSeen,
                  Instant lastSeen, Instant statusSince, String recordJson, String parseError, String gateway,
                  String city, String country, Map<String, String> labels) {
        this(id, kind, datacenter, status, firstSeen, lastSeen, statusSince, recordJson, parseError, gateway, city,
                country, labels, null, null);
    }
}
