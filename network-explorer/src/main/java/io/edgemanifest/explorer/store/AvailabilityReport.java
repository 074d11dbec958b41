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
 * GROUP BY); longer ranges in one sequential pass over the events with a running total per
 * device and the observation periods read once: never a query per device (except a device whose
 * events were stored out of time order, recomputed exactly from its own events).
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

    /**
     * One device's running availability while its events stream by in seq order: the state since
     * the last event, and the observed and online time of the segments closed so far.
     */
    private static final class Running {
        final Key key;
        Timeline.State state;
        Instant since;
        long observedMillis;
        long onlineMillis;
        /** An event older than the one before it (seq order is not time order): recomputed exactly. */
        boolean unordered;

        Running(Key key) {
            this.key = key;
        }
    }

    static List<ReportRow> compute(Connection c, Map<String, Double> targets, Instant from, Instant to, Long openObservation)
            throws SQLException {
        List<Timeline.Period> periods = Timeline.merge(Timeline.periods(c, from, to, openObservation));
        Map<String, Running> devices = new HashMap<>();
        Map<Key, Acc> acc = new TreeMap<>(Comparator.comparing(Key::kind).thenComparing(Key::datacenter));
        try (PreparedStatement ps = c.prepareStatement("SELECT id, kind, datacenter FROM devices");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Key key = new Key(rs.getString(2), rs.getString(3));
                devices.put(rs.getString(1), new Running(key));
                acc.computeIfAbsent(key, k -> new Acc()).devices++;
            }
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // PostgreSQL streams a result (fetch size) only inside a transaction
        // In seq order: the table's own order (H2's primary key, PostgreSQL's physical order), so
        // the read is one sequential scan with no sort, whatever the number of events.
        try (PreparedStatement ps = c.prepareStatement("SELECT device_id, event_type, happened_at FROM events "
                + "WHERE happened_at < ? ORDER BY seq")) {
            ps.setFetchSize(5_000);
            ps.setObject(1, JdbcDeviceStore.time(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Running r = devices.get(rs.getString(1));
                    if (r == null || r.unordered) {
                        continue;
                    }
                    Instant at = rs.getObject(3, OffsetDateTime.class).toInstant();
                    Timeline.State next = Timeline.stateOf(rs.getString(2));
                    if (r.since != null && at.isBefore(r.since)) {
                        r.unordered = true;
                        continue;
                    }
                    close(r, at, from, periods);
                    r.state = next;
                    r.since = at;
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(autoCommit);
        }
        for (Map.Entry<String, Running> e : devices.entrySet()) {
            Running r = e.getValue();
            Availability a;
            if (r.unordered) {
                a = Timeline.share(Timeline.load(c, e.getKey(), from, to), periods, from, to);
            } else {
                close(r, to, from, periods);
                a = new Availability(from, to, r.observedMillis == 0 ? 0 : (double) r.onlineMillis / r.observedMillis, r.observedMillis);
            }
            if (a.share() == null) {
                continue;
            }
            Acc sum = acc.get(r.key);
            sum.observed++;
            sum.sum += a.share();
            if (a.share() < targets.getOrDefault(r.key.kind(), 0.0)) {
                sum.below++;
            }
        }
        List<ReportRow> rows = new ArrayList<>();
        acc.forEach((key, a) -> rows.add(new ReportRow(key.kind(), key.datacenter(), a.devices, a.observed,
                a.observed == 0 ? null : a.sum / a.observed, a.below)));
        return rows;
    }

    /** Counts the device's current segment [since, end) within [from, ...) and the observation periods. */
    private static void close(Running r, Instant end, Instant from, List<Timeline.Period> periods) {
        if (r.state == null || r.state == Timeline.State.UNKNOWN) {
            return; // not seen yet, or unknown: neither observed nor online
        }
        Instant a = r.since.isBefore(from) ? from : r.since;
        if (!end.isAfter(a)) {
            return;
        }
        for (Timeline.Period p : periods) {
            Instant x = p.from().isAfter(a) ? p.from() : a;
            Instant y = p.to().isBefore(end) ? p.to() : end;
            if (y.isAfter(x)) {
                long ms = java.time.Duration.between(x, y).toMillis();
                r.observedMillis += ms;
                if (r.state == Timeline.State.ONLINE) {
                    r.onlineMillis += ms;
                }
            }
        }
    }
}
