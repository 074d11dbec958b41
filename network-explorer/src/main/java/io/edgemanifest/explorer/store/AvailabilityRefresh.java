package io.edgemanifest.explorer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The 24 h availability column of every device in a fixed number of statements, whatever the
 * number of devices (#15; it was two queries per device: 10 s per 100,000).
 *
 * <p>A device whose latest event is older than the window was in one state the whole window: its
 * share is 1 (online), 0 (offline) or no data (unknown, never seen, nothing observed), the same for
 * all such devices, so one UPDATE sets them all from {@code devices.last_state} and writes only rows
 * whose value changes. Only devices with an event inside the window (at 1,000,000 devices and 50
 * events a device a year, about 14 % of them) are computed one by one, from one ordered read of the
 * window's events and one read of their state before it, with the same {@link Timeline} code as
 * {@link DeviceStore#availability}: the results are the same as computing each device alone.
 */
final class AvailabilityRefresh {

    static final Duration WINDOW = Duration.ofHours(24);

    private AvailabilityRefresh() {
    }

    /** What one refresh did, for the log and the bench. */
    record Result(int computed, int written, int constantWritten) {
    }

    static Result run(Connection c, Instant now, Long openObservation) throws SQLException {
        Instant from = now.minus(WINDOW);
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false); // one snapshot; PostgreSQL streams a result (fetch size) only in a transaction
        try {
            List<Timeline.Period> periods = Timeline.periods(c, from, now, openObservation);
            Map<String, Device> window = windowDevices(c, from);
            readWindowEvents(c, from, now, window);
            int written = 0;
            try (PreparedStatement ps = c.prepareStatement("UPDATE devices SET avail_24h=? WHERE id=?")) {
                int batched = 0;
                for (Map.Entry<String, Device> e : window.entrySet()) {
                    Device d = e.getValue();
                    d.close(now);
                    Double share = Timeline.share(d.segments, periods, from, now).share();
                    double value = share == null ? -1 : share; // -1: no data, never below target
                    if (value != d.stored) {
                        ps.setDouble(1, value);
                        ps.setString(2, e.getKey());
                        ps.addBatch();
                        written++;
                        if (++batched % 500 == 0) {
                            ps.executeBatch();
                        }
                    }
                }
                ps.executeBatch();
            }
            int constant = constantDevices(c, from, now, periods);
            c.commit();
            return new Result(window.size(), written, constant);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** A device with an event in the window: its state before the window, then its segments inside it. */
    private static final class Device {
        final double stored;
        Timeline.State current;
        Instant cursor;
        final List<Timeline.Segment> segments = new ArrayList<>();

        Device(double stored, Timeline.State before, Instant from) {
            this.stored = stored;
            this.current = before;
            this.cursor = from;
        }

        /** As {@link Timeline#load}: the segment the state before {@code at} covered, then the new state. */
        void event(Instant at, Timeline.State next) {
            if (current != null && at.isAfter(cursor)) {
                segments.add(new Timeline.Segment(cursor, at, current));
            }
            current = next;
            cursor = at;
        }

        void close(Instant to) {
            if (current != null && to.isAfter(cursor)) {
                segments.add(new Timeline.Segment(cursor, to, current));
            }
        }
    }

    /**
     * Devices whose latest event is at or after {@code from}, with their stored value and the state
     * of their last event before {@code from} (none: not seen yet then; pruned: the state
     * retention kept when it deleted the device's older events).
     */
    private static Map<String, Device> windowDevices(Connection c, Instant from) throws SQLException {
        Map<String, Device> window = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT d.id, d.avail_24h, COALESCE((SELECT e.event_type FROM events e "
                + "WHERE e.device_id = d.id AND e.happened_at < ? ORDER BY e.happened_at DESC, e.seq DESC LIMIT 1), "
                + "d.anchor_state) FROM devices d WHERE d.last_event_at >= ?")) {
            ps.setFetchSize(5_000);
            ps.setObject(1, JdbcDeviceStore.time(from));
            ps.setObject(2, JdbcDeviceStore.time(from));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String before = rs.getString(3);
                    window.put(rs.getString(1), new Device(rs.getDouble(2), before == null ? null : Timeline.stateOf(before), from));
                }
            }
        }
        return window;
    }

    private static void readWindowEvents(Connection c, Instant from, Instant now, Map<String, Device> window) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT device_id, event_type, happened_at FROM events "
                + "WHERE happened_at >= ? AND happened_at < ? ORDER BY device_id, happened_at, seq")) {
            ps.setFetchSize(5_000);
            ps.setObject(1, JdbcDeviceStore.time(from));
            ps.setObject(2, JdbcDeviceStore.time(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Device d = window.get(rs.getString(1));
                    if (d != null) {
                        d.event(rs.getObject(3, OffsetDateTime.class).toInstant(), Timeline.stateOf(rs.getString(2)));
                    }
                }
            }
        }
    }

    /**
     * Every other device in one UPDATE: one state all window long. The value of a state is what
     * {@link Timeline#share} gives a single segment over the window (1, 0, or no data when nothing
     * of the window was observed), so the two paths cannot disagree.
     */
    private static int constantDevices(Connection c, Instant from, Instant now, List<Timeline.Period> periods) throws SQLException {
        double online = value(Timeline.State.ONLINE, periods, from, now);
        double offline = value(Timeline.State.OFFLINE, periods, from, now);
        String value = "CASE last_state WHEN 'ONLINE' THEN ? WHEN 'OFFLINE' THEN ? ELSE -1 END";
        try (PreparedStatement ps = c.prepareStatement("UPDATE devices SET avail_24h = " + value
                + " WHERE (last_event_at IS NULL OR last_event_at < ?) AND avail_24h <> " + value)) {
            ps.setDouble(1, online);
            ps.setDouble(2, offline);
            ps.setObject(3, JdbcDeviceStore.time(from));
            ps.setDouble(4, online);
            ps.setDouble(5, offline);
            return ps.executeUpdate();
        }
    }

    private static double value(Timeline.State state, List<Timeline.Period> periods, Instant from, Instant now) {
        Double share = Timeline.share(List.of(new Timeline.Segment(from, now, state)), periods, from, now).share();
        return share == null ? -1 : share;
    }
}
