package io.edgemanifest.explorer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Availability against target per kind and datacenter. 24 h from the refreshed column (one
 * GROUP BY); longer ranges in one pass over the events (by device, from the (device_id, seq)
 * index) with the observation periods read once: never a query per device.
 */
final class AvailabilityReport {

    private AvailabilityReport() {
    }

    static List<ReportRow> fromColumn(Connection c, Map<String, Double> targets) throws SQLException {
        List<ReportRow> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT kind, datacenter, COUNT(*), "
                + "SUM(CASE WHEN avail_24h >= 0 THEN 1 ELSE 0 END), AVG(CASE WHEN avail_24h >= 0 THEN avail_24h END), "
                + "SUM(CASE WHEN avail_24h >= 0 AND avail_24h < CASE kind WHEN 'host' THEN ? WHEN 'gateway' THEN ? ELSE ? END "
                + "THEN 1 ELSE 0 END) FROM devices GROUP BY kind, datacenter ORDER BY kind, datacenter")) {
            ps.setDouble(1, targets.getOrDefault("host", 0.0));
            ps.setDouble(2, targets.getOrDefault("gateway", 0.0));
            ps.setDouble(3, targets.getOrDefault("stargate", 0.0));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    double mean = rs.getDouble(5);
                    Double m = rs.wasNull() ? null : mean;
                    rows.add(new ReportRow(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), m, rs.getLong(6)));
                }
            }
        }
        return rows;
    }

    private static final class Acc {
        long devices;
        long observed;
        double sum;
        long below;
    }

    record Key(String kind, String datacenter) {
    }

    static List<ReportRow> compute(Connection c, Map<String, Double> targets, Instant from, Instant to, Long openObservation)
            throws SQLException {
        List<Timeline.Period> periods = Timeline.periods(c, from, to, openObservation);
        Map<String, Key> devices = new HashMap<>();
        Map<Key, Acc> acc = new TreeMap<>(Comparator.comparing(Key::kind).thenComparing(Key::datacenter));
        try (PreparedStatement ps = c.prepareStatement("SELECT id, kind, datacenter FROM devices");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Key key = new Key(rs.getString(2), rs.getString(3));
                devices.put(rs.getString(1), key);
                acc.computeIfAbsent(key, k -> new Acc()).devices++;
            }
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // PostgreSQL streams a result (fetch size) only inside a transaction
        try (PreparedStatement ps = c.prepareStatement("SELECT device_id, event_type, happened_at, seq FROM events "
                + "WHERE happened_at < ? ORDER BY device_id, seq")) {
            ps.setFetchSize(5_000);
            ps.setObject(1, JdbcDeviceStore.time(to));
            try (ResultSet rs = ps.executeQuery()) {
                String current = null;
                List<Timeline.Transition> transitions = new ArrayList<>();
                while (rs.next()) {
                    String id = rs.getString(1);
                    if (!id.equals(current)) {
                        add(acc, devices.get(current), transitions, periods, from, to, targets);
                        current = id;
                        transitions.clear();
                    }
                    transitions.add(new Timeline.Transition(rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getLong(4),
                            Timeline.stateOf(rs.getString(2))));
                }
                add(acc, devices.get(current), transitions, periods, from, to, targets);
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        List<ReportRow> rows = new ArrayList<>();
        acc.forEach((key, a) -> rows.add(new ReportRow(key.kind(), key.datacenter(), a.devices, a.observed,
                a.observed == 0 ? null : a.sum / a.observed, a.below)));
        return rows;
    }

    private static void add(Map<Key, Acc> acc, Key key, List<Timeline.Transition> transitions, List<Timeline.Period> periods,
                            Instant from, Instant to, Map<String, Double> targets) {
        if (key == null || transitions.isEmpty()) {
            return; // an event of a device no longer stored, or the first call
        }
        Availability a = Timeline.share(Timeline.segments(transitions, from, to), periods, from, to);
        if (a.share() == null) {
            return;
        }
        Acc sum = acc.get(key);
        sum.observed++;
        sum.sum += a.share();
        if (a.share() < targets.getOrDefault(key.kind(), 0.0)) {
            sum.below++;
        }
    }
}
