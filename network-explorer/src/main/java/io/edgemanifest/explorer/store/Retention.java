package io.edgemanifest.explorer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deletes raw events older than the retention, one hour of events per transaction (never one huge
 * one: at 1,000,000 devices and 50 events a device a year, an hour is about 6,000 events), after
 * rolling that hour up per device into {@code availability_hourly} and moving each device's
 * {@code anchor_state} to its state after the hour. Rollup, delete and the horizon commit together,
 * so a pruning cut short (killed, store down) resumes at the first hour it had not finished.
 */
final class Retention {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Retention.class);

    private Retention() {
    }

    /**
     * Prunes every hour before {@code now - retention} (rounded down to the hour), oldest first.
     * {@code maxHours} bounds one run (the rest waits for the next run).
     */
    static Pruned prune(Connection c, Instant now, Duration retention, Long openObservation, int maxHours) throws SQLException {
        Instant cutoff = now.minus(retention).truncatedTo(ChronoUnit.HOURS);
        int hours = 0;
        long deleted = 0;
        long rollups = 0;
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            while (hours < maxHours) {
                Instant oldest = oldestEvent(c);
                if (oldest == null || !oldest.isBefore(cutoff)) {
                    Instant horizon = History.horizon(c);
                    if (horizon == null || horizon.isBefore(cutoff)) {
                        setHorizon(c, cutoff); // no event before the cutoff: everything before it is "pruned"
                        c.commit();
                    }
                    break;
                }
                Instant hour = oldest.truncatedTo(ChronoUnit.HOURS);
                Instant horizon = History.horizon(c);
                if (horizon != null && hour.isBefore(horizon)) {
                    // An event stored after its hour was rolled up (a clock far behind): the hour's
                    // rollup is final, so the stray event is dropped rather than counted twice.
                    long stray = deleteHour(c, hour);
                    c.commit();
                    log.warn("dropped {} event(s) of {} stored after that hour was rolled up", stray, hour);
                    deleted += stray;
                    hours++;
                    continue;
                }
                long[] done = pruneHour(c, hour, openObservation);
                if (horizon == null || horizon.isBefore(hour.plus(History.HOUR))) {
                    setHorizon(c, hour.plus(History.HOUR));
                }
                c.commit();
                hours++;
                deleted += done[0];
                rollups += done[1];
            }
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
        return new Pruned(hours, deleted, rollups);
    }

    private static Instant oldestEvent(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT MIN(happened_at) FROM events");
             ResultSet rs = ps.executeQuery()) {
            rs.next();
            OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
            return t == null ? null : t.toInstant();
        }
    }

    private static void setHorizon(Connection c, Instant horizon) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE retention_horizon SET pruned_before=? WHERE id=1")) {
            ps.setObject(1, JdbcDeviceStore.time(horizon));
            ps.executeUpdate();
        }
    }

    /** One device's events of the hour being rolled up. */
    private static final class Rollup {
        final Timeline.State start;
        Timeline.State current;
        Instant cursor;
        Instant lastAt;
        int events;
        final List<Timeline.Segment> segments = new ArrayList<>();

        Rollup(Timeline.State start, Instant hour) {
            this.start = start;
            this.current = start;
            this.cursor = hour;
        }
    }

    /** Rolls up and deletes the events of [hour, hour + 1 h): {deleted, rollups written}. */
    private static long[] pruneHour(Connection c, Instant hour, Long openObservation) throws SQLException {
        Instant end = hour.plus(History.HOUR);
        Map<String, Rollup> devices = new LinkedHashMap<>();
        // All older events are gone already, so a device's state at the hour's start is its anchor.
        try (PreparedStatement ps = c.prepareStatement("SELECT e.device_id, e.event_type, e.happened_at, d.anchor_state "
                + "FROM events e LEFT JOIN devices d ON d.id = e.device_id WHERE e.happened_at >= ? AND e.happened_at < ? "
                + "ORDER BY e.device_id, e.happened_at, e.seq")) {
            ps.setObject(1, JdbcDeviceStore.time(hour));
            ps.setObject(2, JdbcDeviceStore.time(end));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String anchor = rs.getString(4);
                    Rollup r = devices.computeIfAbsent(rs.getString(1),
                            id -> new Rollup(anchor == null ? null : Timeline.stateOf(anchor), hour));
                    Instant at = rs.getObject(3, OffsetDateTime.class).toInstant();
                    if (r.current != null && at.isAfter(r.cursor)) {
                        r.segments.add(new Timeline.Segment(r.cursor, at, r.current));
                    }
                    r.current = Timeline.stateOf(rs.getString(2));
                    r.cursor = at;
                    r.lastAt = at;
                    r.events++;
                }
            }
        }
        List<Timeline.Period> periods = Timeline.periods(c, hour, end, openObservation);
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO availability_hourly (device_id, hour_start, start_state, "
                + "end_state, online_ms, observed_ms, events) VALUES (?,?,?,?,?,?,?)");
             PreparedStatement anchor = c.prepareStatement("UPDATE devices SET anchor_state=?, anchor_at=? WHERE id=?")) {
            for (Map.Entry<String, Rollup> e : devices.entrySet()) {
                Rollup r = e.getValue();
                if (end.isAfter(r.cursor)) {
                    r.segments.add(new Timeline.Segment(r.cursor, end, r.current));
                }
                long[] millis = Timeline.millis(r.segments, periods, hour, end);
                insert.setString(1, e.getKey());
                insert.setObject(2, JdbcDeviceStore.time(hour));
                insert.setString(3, r.start == null ? null : r.start.name());
                insert.setString(4, r.current.name());
                insert.setLong(5, millis[0]);
                insert.setLong(6, millis[1]);
                insert.setInt(7, r.events);
                insert.addBatch();
                anchor.setString(1, r.current.name());
                anchor.setObject(2, JdbcDeviceStore.time(r.lastAt));
                anchor.setString(3, e.getKey());
                anchor.addBatch();
            }
            insert.executeBatch();
            anchor.executeBatch();
        }
        return new long[] {deleteHour(c, hour), devices.size()};
    }

    private static long deleteHour(Connection c, Instant hour) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM events WHERE happened_at >= ? AND happened_at < ?")) {
            ps.setObject(1, JdbcDeviceStore.time(hour));
            ps.setObject(2, JdbcDeviceStore.time(hour.plus(History.HOUR)));
            return ps.executeUpdate();
        }
    }
}
