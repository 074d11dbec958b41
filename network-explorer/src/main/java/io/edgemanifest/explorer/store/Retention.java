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
 * Deletes raw events older than the retention in slices of whole hours holding about 10,000 events
 * each (at least one hour: at 1,000,000 devices and 50 events a device a year, an hour is about
 * 6,000 events), never one huge transaction, after rolling each slice up per device and hour into
 * {@code availability_hourly} and moving each device's {@code anchor_state} to its state after it. Rollup, delete and the horizon commit together,
 * so a pruning cut short (killed, store down) resumes at the first hour it had not finished.
 */
final class Retention {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Retention.class);

    private Retention() {
    }

    /**
     * Prunes every hour before {@code now - retention} (rounded down to the hour), oldest first.
     * {@code maxHours} bounds one run (the rest waits for the next run); a slice is finished even
     * when it passes the bound.
     */
    static Pruned prune(Connection c, Instant now, Duration retention, Long openObservation, int maxHours) throws SQLException {
        Instant cutoff = now.minus(retention).truncatedTo(ChronoUnit.HOURS);
        int hours = 0;
        long deleted = 0;
        long rollups = 0;
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            // Once a run: an event stored after its hour was rolled up. The loop then reads from the
            // horizon on: on PostgreSQL, MIN(happened_at) from the index's start walks every entry
            // the previous slices deleted until vacuum removes them (measured: pruning slowed down
            // the further it got).
            boolean strays = true;
            while (hours < maxHours) {
                Instant known = History.horizon(c);
                Instant oldest = oldestEvent(c, strays ? null : known);
                strays = false;
                if (oldest == null || !oldest.isBefore(cutoff)) {
                    Instant horizon = History.horizon(c);
                    if (horizon == null || horizon.isBefore(cutoff)) {
                        setHorizon(c, cutoff); // no event before the cutoff: everything before it is "pruned"
                        c.commit();
                    }
                    break;
                }
                Instant hour = oldest.truncatedTo(ChronoUnit.HOURS);
                // (the horizon as this transaction reads it)
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
                Instant end = sliceEnd(c, hour, cutoff);
                long[] done = pruneSlice(c, hour, end, openObservation);
                if (horizon == null || horizon.isBefore(end)) {
                    setHorizon(c, end);
                }
                c.commit();
                hours += (int) Math.min(Integer.MAX_VALUE - hours, Duration.between(hour, end).toHours());
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

    /** About this many events per transaction: whole hours, at least one. */
    static final int EVENTS_PER_TRANSACTION = 10_000;

    /**
     * The end of the slice starting at {@code hour}: the hour boundary at or before the
     * {@link #EVENTS_PER_TRANSACTION}th event (at least one hour, at most the cut-off).
     */
    private static Instant sliceEnd(Connection c, Instant hour, Instant cutoff) throws SQLException {
        Instant end = cutoff;
        try (PreparedStatement ps = c.prepareStatement("SELECT happened_at FROM events WHERE happened_at >= ? "
                + "ORDER BY happened_at LIMIT 1 OFFSET " + (EVENTS_PER_TRANSACTION - 1))) {
            ps.setObject(1, JdbcDeviceStore.time(hour));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    Instant nth = rs.getObject(1, OffsetDateTime.class).toInstant().truncatedTo(ChronoUnit.HOURS);
                    end = nth.isBefore(cutoff) ? nth : cutoff;
                }
            }
        }
        Instant oneHour = hour.plus(History.HOUR);
        return end.isAfter(oneHour) ? end : oneHour;
    }

    /** The oldest event at or after {@code from} (null: of all). */
    private static Instant oldestEvent(Connection c, Instant from) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT MIN(happened_at) FROM events WHERE happened_at >= ?")) {
            ps.setObject(1, JdbcDeviceStore.time(from == null ? Instant.EPOCH : from));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
                return t == null ? null : t.toInstant();
            }
        }
    }

    private static void setHorizon(Connection c, Instant horizon) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE retention_horizon SET pruned_before=? WHERE id=1")) {
            ps.setObject(1, JdbcDeviceStore.time(horizon));
            ps.executeUpdate();
        }
    }

    /** One device's rolled-up hour under construction. */
    private static final class Rollup {
        final Instant hour;
        final Timeline.State start;
        Timeline.State current;
        Instant cursor;
        int events;
        final List<Timeline.Segment> segments = new ArrayList<>();

        Rollup(Instant hour, Timeline.State start) {
            this.hour = hour;
            this.start = start;
            this.current = start;
            this.cursor = hour;
        }
    }

    /**
     * Rolls up and deletes the events of [from, to) (whole hours, at most about
     * {@link #EVENTS_PER_TRANSACTION} events): one row per device and hour with events.
     * Returns {deleted, rollups written}.
     */
    private static long[] pruneSlice(Connection c, Instant from, Instant to, Long openObservation) throws SQLException {
        List<Timeline.Period> periods = Timeline.periods(c, from, to, openObservation);
        long rollups = 0;
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO availability_hourly (device_id, hour_start, start_state, "
                + "end_state, online_ms, observed_ms, events) VALUES (?,?,?,?,?,?,?)");
             PreparedStatement anchor = c.prepareStatement("UPDATE devices SET anchor_state=?, anchor_at=? WHERE id=?")) {
            // All older events are gone already, so a device's state at the slice's start is its anchor.
            try (PreparedStatement ps = c.prepareStatement("SELECT e.device_id, e.event_type, e.happened_at, d.anchor_state "
                    + "FROM events e LEFT JOIN devices d ON d.id = e.device_id WHERE e.happened_at >= ? AND e.happened_at < ? "
                    + "ORDER BY e.device_id, e.happened_at, e.seq")) {
                ps.setFetchSize(5_000);
                ps.setObject(1, JdbcDeviceStore.time(from));
                ps.setObject(2, JdbcDeviceStore.time(to));
                try (ResultSet rs = ps.executeQuery()) {
                    String device = null;
                    Rollup r = null;
                    Instant lastAt = null;
                    while (rs.next()) {
                        String id = rs.getString(1);
                        Instant at = rs.getObject(3, OffsetDateTime.class).toInstant();
                        Instant hour = at.truncatedTo(ChronoUnit.HOURS);
                        if (!id.equals(device)) {
                            if (r != null) {
                                rollups += emit(insert, anchor, device, r, periods, lastAt);
                            }
                            device = id;
                            String a = rs.getString(4);
                            r = new Rollup(hour, a == null ? null : Timeline.stateOf(a));
                        } else if (!hour.equals(r.hour)) {
                            rollups += write(insert, device, r, periods);
                            r = new Rollup(hour, r.current);
                        }
                        if (r.current != null && at.isAfter(r.cursor)) {
                            r.segments.add(new Timeline.Segment(r.cursor, at, r.current));
                        }
                        r.current = Timeline.stateOf(rs.getString(2));
                        r.cursor = at;
                        r.events++;
                        lastAt = at;
                    }
                    if (r != null) {
                        rollups += emit(insert, anchor, device, r, periods, lastAt);
                    }
                }
            }
            insert.executeBatch();
            anchor.executeBatch();
        }
        long deleted;
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM events WHERE happened_at >= ? AND happened_at < ?")) {
            ps.setObject(1, JdbcDeviceStore.time(from));
            ps.setObject(2, JdbcDeviceStore.time(to));
            deleted = ps.executeUpdate();
        }
        return new long[] {deleted, rollups};
    }

    /** The device's last hour of the slice, and its anchor: its state after its last pruned event. */
    private static int emit(PreparedStatement insert, PreparedStatement anchor, String device, Rollup r,
                            List<Timeline.Period> periods, Instant lastAt) throws SQLException {
        int written = write(insert, device, r, periods);
        anchor.setString(1, r.current.name());
        anchor.setObject(2, JdbcDeviceStore.time(lastAt));
        anchor.setString(3, device);
        anchor.addBatch();
        return written;
    }

    private static int write(PreparedStatement insert, String device, Rollup r, List<Timeline.Period> periods) throws SQLException {
        Instant end = r.hour.plus(History.HOUR);
        if (end.isAfter(r.cursor)) {
            r.segments.add(new Timeline.Segment(r.cursor, end, r.current));
        }
        long[] millis = Timeline.millis(r.segments, periods, r.hour, end);
        insert.setString(1, device);
        insert.setObject(2, JdbcDeviceStore.time(r.hour));
        insert.setString(3, r.start == null ? null : r.start.name());
        insert.setString(4, r.current.name());
        insert.setLong(5, millis[0]);
        insert.setLong(6, millis[1]);
        insert.setInt(7, r.events);
        insert.addBatch();
        return 1;
    }

    private static long deleteHour(Connection c, Instant hour) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM events WHERE happened_at >= ? AND happened_at < ?")) {
            ps.setObject(1, JdbcDeviceStore.time(hour));
            ps.setObject(2, JdbcDeviceStore.time(hour.plus(History.HOUR)));
            return ps.executeUpdate();
        }
    }
}
