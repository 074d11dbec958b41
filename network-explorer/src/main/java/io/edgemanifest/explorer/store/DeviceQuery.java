package io.edgemanifest.explorer.store;

/**
 * A page of the device list. Null filters match everything.
 *
 * @param q          case-insensitive substring of id, a label value, city or country
 * @param belowTarget only devices whose 24 h availability is below their kind's target
 * @param sort       one of id, kind, datacenter, status, lastSeen, firstSeen (prefix '-' for descending)
 * @param cursor     opaque cursor from the previous page, or null for the first
 * @param gateway    only devices whose latest record names this gateway (a gateway's hosts)
 */
public record DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                          String sort, int limit, String cursor, String gateway) {

    public DeviceQuery {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1..1000: " + limit);
        }
    }

    public DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                       String sort, int limit, String cursor) {
        this(kind, datacenter, status, q, belowTarget, sort, limit, cursor, null);
    }

    /** The same filters and sort from {@code cursor} on (the next keyset page). */
    public DeviceQuery from(String nextCursor) {
        return new DeviceQuery(kind, datacenter, status, q, belowTarget, sort, limit, nextCursor, gateway);
    }

    /** The same filters for any status: what the status control counts. */
    public DeviceQuery anyStatus() {
        return new DeviceQuery(kind, datacenter, null, q, belowTarget, sort, limit, cursor, gateway);
    }
}
