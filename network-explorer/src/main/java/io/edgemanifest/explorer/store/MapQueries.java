package io.edgemanifest.explorer.store;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The map's aggregation in SQL: one GROUP BY over the position columns, so the answer's size is
 * the number of non-empty cells however many devices there are.
 */
final class MapQueries {

    private static final List<String> KINDS = List.of("host", "gateway", "stargate");

    private MapQueries() {
    }

    static MapGrid grid(Connection c, MapQuery q) throws SQLException {
        List<Object> args = new ArrayList<>();
        StringBuilder filters = new StringBuilder();
        if (q.kind() != null) {
            filters.append(" AND kind=?");
            args.add(q.kind());
        }
        if (q.status() != null) {
            filters.append(" AND status=?");
            args.add(q.status().name());
        }
        if (q.datacenter() != null) {
            filters.append(" AND datacenter=?");
            args.add(q.datacenter());
        }
        // The cell size is a number the API computed from the zoom, never caller text: written as a
        // literal so that the GROUP BY expressions are textually the SELECT's (PostgreSQL requires
        // it; two parameters $1 and $3 would be different expressions).
        String cell = BigDecimal.valueOf(q.cellDegrees()).toPlainString();
        String row = "FLOOR(lat / " + cell + ")";
        String col = "FLOOR(lon / " + cell + ")";
        StringBuilder located = new StringBuilder(" WHERE lat IS NOT NULL");
        List<Object> locatedArgs = new ArrayList<>();
        if (q.bbox() != null) {
            double[] b = q.bbox();
            located.append(" AND lat >= ? AND lat <= ?");
            locatedArgs.add(b[1]);
            locatedArgs.add(b[3]);
            // west > east: the box crosses the antimeridian (e.g. 170,-50,-170,-10)
            located.append(b[0] <= b[2] ? " AND lon >= ? AND lon <= ?" : " AND (lon >= ? OR lon <= ?)");
            locatedArgs.add(b[0]);
            locatedArgs.add(b[2]);
        }
        locatedArgs.addAll(args);
        StringBuilder sql = new StringBuilder("SELECT ").append(row).append(", ").append(col)
                .append(", COUNT(*), AVG(lat), AVG(lon)");
        for (DeviceStatus st : DeviceStatus.values()) {
            sql.append(", SUM(CASE WHEN status='").append(st.name()).append("' THEN 1 ELSE 0 END)");
        }
        for (String kind : KINDS) {
            sql.append(", SUM(CASE WHEN kind='").append(kind).append("' THEN 1 ELSE 0 END)");
        }
        sql.append(" FROM devices").append(located).append(filters).append(" GROUP BY ").append(row).append(", ")
                .append(col).append(" ORDER BY 1, 2");
        List<MapGrid.Cell> cells = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            bind(ps, locatedArgs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<DeviceStatus, Long> byStatus = new EnumMap<>(DeviceStatus.class);
                    int i = 6;
                    for (DeviceStatus st : DeviceStatus.values()) {
                        byStatus.put(st, rs.getLong(i++));
                    }
                    Map<String, Long> byKind = new LinkedHashMap<>();
                    for (String kind : KINDS) {
                        long n = rs.getLong(i++);
                        if (n > 0) {
                            byKind.put(kind, n);
                        }
                    }
                    cells.add(new MapGrid.Cell(rs.getLong(1), rs.getLong(2), rs.getDouble(4), rs.getDouble(5), rs.getLong(3),
                            byStatus, byKind));
                }
            }
        }
        Map<DeviceStatus, Long> unlocated = new EnumMap<>(DeviceStatus.class);
        for (DeviceStatus st : DeviceStatus.values()) {
            unlocated.put(st, 0L);
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM devices WHERE lat IS NULL" + filters
                + " GROUP BY status")) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    unlocated.put(DeviceStatus.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
        }
        return new MapGrid(q.cellDegrees(), cells, unlocated);
    }

    private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }
}
