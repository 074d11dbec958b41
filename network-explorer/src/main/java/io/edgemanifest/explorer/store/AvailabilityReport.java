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
        double observedMillis;
        double onlineMillis;
        /** A rolled-up hour of this device was read: its state before it is that hour's start state. */
        boolean rolledUp;
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
        Instant horizon = History.horizon(c);
        try (PreparedStatement ps = c.prepareStatement("SELECT id, kind, datacenter, anchor_state FROM devices");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                Key key = new Key(rs.getString(2), rs.getString(3));
                Running r = new Running(key);
                if (horizon != null && rs.getString(4) != null) {
                    // Retention pruned this device's older events: its state at the horizon, and
                    // all along [from, horizon) unless a rolled-up hour there says otherwise.
                    r.state = Timeline.stateOf(rs.getString(4));
                    r.since = from.isBefore(horizon) ? from : horizon;
                }
                devices.put(rs.getString(1), r);
                acc.computeIfAbsent(key, k -> new Acc()).devices++;
            }
        }
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // PostgreSQL streams a result (fetch size) only inside a transaction
        if (horizon != null && from.isBefore(horizon)) {
            try {
                rolledUp(c, devices, from, to, horizon, periods);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                c.setAutoCommit(autoCommit);
                throw e;
            }
        }
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
                a = History.load(c, e.getKey(), from, to).share(periods, from, to);
            } else {
                close(r, to, from, periods);
                long observed = Math.round(r.observedMillis);
                a = new Availability(from, to, observed == 0 ? 0 : r.onlineMillis / r.observedMillis, observed);
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

    /**
     * The rolled-up hours of [from, horizon) in time order, before the raw events: each closes the
     * state carried since the previous one, adds its own totals (pro rata where the range cuts
     * it), and leaves the device in its end state. Read up to the horizon, not to {@code to}: a
     * device's first rolled-up hour after {@code to} still says its state before it.
     */
    private static void rolledUp(Connection c, Map<String, Running> devices, Instant from, Instant to, Instant horizon,
                                 List<Timeline.Period> periods) throws SQLException {
        Instant end = to.isBefore(horizon) ? to : horizon;
        try (PreparedStatement ps = c.prepareStatement("SELECT device_id, hour_start, start_state, end_state, online_ms, "
                + "observed_ms FROM availability_hourly WHERE hour_start >= ? AND hour_start < ? ORDER BY hour_start")) {
            ps.setFetchSize(5_000);
            ps.setObject(1, JdbcDeviceStore.time(from.truncatedTo(java.time.temporal.ChronoUnit.HOURS)));
            ps.setObject(2, JdbcDeviceStore.time(horizon));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Running r = devices.get(rs.getString(1));
                    if (r == null) {
                        continue;
                    }
                    Instant hour = rs.getObject(2, OffsetDateTime.class).toInstant();
                    if (!r.rolledUp) {
                        r.rolledUp = true;
                        String start = rs.getString(3);
                        r.state = start == null ? null : Timeline.stateOf(start);
                        r.since = from;
                    }
                    if (!hour.isBefore(end)) {
                        continue; // after the range: it only said the state before it
                    }
                    close(r, hour, from, periods);
                    Instant hourEnd = hour.plus(History.HOUR);
                    Instant x = hour.isAfter(from) ? hour : from;
                    Instant y = hourEnd.isBefore(end) ? hourEnd : end;
                    if (y.isAfter(x)) {
                        double part = (double) java.time.Duration.between(x, y).toMillis() / History.HOUR.toMillis();
                        r.onlineMillis += rs.getLong(5) * part;
                        r.observedMillis += rs.getLong(6) * part;
                    }
                    r.state = Timeline.stateOf(rs.getString(4));
                    r.since = hourEnd;
                }
            }
        }
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
