package io.edgemanifest.explorer.store;

/**
 * A page of the device list. Null filters match everything.
 *
 * @param q          case-insensitive substring of id, a label value, city or country
 * @param belowTarget only devices whose 24 h availability is below their kind's target
 * @param sort       one of id, kind, datacenter, status, lastSeen, firstSeen (prefix '-' for descending)
 * @param cursor     opaque cursor from the previous page, or null for the first
 * @param gateway    only devices whose latest record names this gateway (a gateway's hosts)
 * @param bbox       only devices located in west,south,east,north: west <= lon < east and
 *                   south <= lat < north as the map's grid cells (an east of 180 or north of 90
 *                   includes its edge); west > east crosses the antimeridian. A map cluster's bbox
 *                   so lists exactly the devices it counts.
 * @param located    true: only devices with a location; false: only those without
 */
public record DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                          String sort, int limit, String cursor, String gateway, double[] bbox, Boolean located) {

    public DeviceQuery {
        if (limit < 1 || limit > 1000) {
            throw new IllegalArgumentException("limit must be 1..1000: " + limit);
        }
        if (bbox != null) {
            if (bbox.length != 4 || bbox[1] > bbox[3] || bbox[1] < -90 || bbox[3] > 90 || bbox[0] < -180 || bbox[0] > 180
                    || bbox[2] < -180 || bbox[2] > 180) {
                throw new IllegalArgumentException("bbox must be west,south,east,north within the world");
            }
            bbox = bbox.clone();
        }
    }

    public DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                       String sort, int limit, String cursor, String gateway) {
        this(kind, datacenter, status, q, belowTarget, sort, limit, cursor, gateway, null, null);
    }

    public DeviceQuery(String kind, String datacenter, DeviceStatus status, String q, Boolean belowTarget,
                       String sort, int limit, String cursor) {
        this(kind, datacenter, status, q, belowTarget, sort, limit, cursor, null);
    }

    /** The same filters and sort from {@code cursor} on (the next keyset page). */
    public DeviceQuery from(String nextCursor) {
        return new DeviceQuery(kind, datacenter, status, q, belowTarget, sort, limit, nextCursor, gateway, bbox, located);
    }

    /** The same query limited to devices located in {@code box} and/or with or without a location. */
    public DeviceQuery within(double[] box, Boolean withLocation) {
        return new DeviceQuery(kind, datacenter, status, q, belowTarget, sort, limit, cursor, gateway, box, withLocation);
    }

    /** The same filters for any status: what the status control counts. */
    public DeviceQuery anyStatus() {
        return new DeviceQuery(kind, datacenter, null, q, belowTarget, sort, limit, cursor, gateway, bbox, located);
    }
}
