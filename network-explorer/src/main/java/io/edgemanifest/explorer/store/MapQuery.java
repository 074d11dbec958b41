package io.edgemanifest.explorer.store;

/**
 * The map's question: devices matching the filters (null: any) aggregated into square cells of
 * {@code cellDegrees}, limited to a bounding box (null: the world).
 *
 * @param bbox west, south, east, north in degrees; west > east crosses the antimeridian
 */
public record MapQuery(double cellDegrees, double[] bbox, String kind, DeviceStatus status, String datacenter) {

    public MapQuery {
        if (!(cellDegrees > 0) || cellDegrees > 360) {
            throw new IllegalArgumentException("cell size must be within (0, 360] degrees: " + cellDegrees);
        }
        if (bbox != null) {
            if (bbox.length != 4 || bbox[1] > bbox[3] || bbox[1] < -90 || bbox[3] > 90 || bbox[0] < -180 || bbox[2] > 180
                    || bbox[0] > 180 || bbox[2] < -180) {
                throw new IllegalArgumentException("bbox must be west,south,east,north within the world");
            }
            bbox = bbox.clone();
        }
    }
}
