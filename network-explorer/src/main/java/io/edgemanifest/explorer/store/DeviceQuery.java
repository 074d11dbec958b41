package io.edgemanifest.explorer.store;

/**
 * A page of the device list. Null filters match everything.
 *
 * @param q          case-insensitive substring of id, a label value, city or country
 * @param belowTarget only devices whose 24 h availability is below their kind's target
 * @param sort       one of id, kind, datacenter, status, lastSeen, firstSeen (prefix '-' for descending)
 * @param cursor     opaque cursor from the previous page, or null for the first
 */
public record DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                          String sort, int limit, String cursor) {

    public DeviceQuery {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1..1000: " + limit);
        }
    }
}
