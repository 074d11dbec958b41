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
import java.util.List;

/**
 * One device's history over [from, to) across retention's horizon: hourly rollups before it, raw
 * events after it (#15). Availability of any sub-range is exact where the range's ends are on
 * hour boundaries or after the horizon; an hour with events that a range cuts counts pro rata
 * (the rollup keeps the hour's totals, not when inside it the changes were).
 */
final class History {

    static final Duration HOUR = Duration.ofHours(1);

    /** A rolled-up hour of one device. */
    record Hour(Instant start, Timeline.State startState, Timeline.State endState, long onlineMs, long observedMs) {
    }

    private final Instant from;
    private final Instant to;
    /** Everything before it is rolled up; null: nothing pruned yet. */
    private final Instant horizon;
    private final List<Hour> hours;
    /** Between rolled-up hours: the state carried from the previous hour (exact, intersected with periods later). */
    private final List<Timeline.Segment> carried;
    /** After the horizon: segments from raw events. */
    private final List<Timeline.Segment> raw;

    private History(Instant from, Instant to, Instant horizon, List<Hour> hours, List<Timeline.Segment> carried,
                    List<Timeline.Segment> raw) {
        this.from = from;
        this.to = to;
        this.horizon = horizon;
        this.hours = hours;
        this.carried = carried;
        this.raw = raw;
    }

    static Instant horizon(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pruned_before FROM retention_horizon WHERE id=1");
             ResultSet rs = ps.executeQuery()) {
            if (rs.next()) {
                OffsetDateTime t = rs.getObject(1, OffsetDateTime.class);
                return t == null ? null : t.toInstant();
            }
            return null;
        }
    }

    static History load(Connection c, String deviceId, Instant from, Instant to) throws SQLException {
        Instant horizon = horizon(c);
        if (horizon == null || !from.isBefore(horizon)) {
            return new History(from, to, horizon, List.of(), List.of(), Timeline.load(c, deviceId, from, to));
        }
        Instant end = to.isBefore(horizon) ? to : horizon;
        // Up to the horizon, not to `to`: with no rolled-up hour in [from, to) the state there is
        // the start state of the device's next rolled-up hour (or the anchor when there is none).
        List<Hour> hours = hours(c, deviceId, from.truncatedTo(ChronoUnit.HOURS), horizon);
        Timeline.State state = hours.isEmpty() ? anchor(c, deviceId) : hours.get(0).startState();
        List<Timeline.Segment> carried = new ArrayList<>();
        Instant cursor = from;
        List<Hour> inRange = new ArrayList<>();
        for (Hour h : hours) {
            if (!h.start().isBefore(end)) {
                break;
            }
            if (state != null && h.start().isAfter(cursor)) {
                carried.add(new Timeline.Segment(cursor, h.start(), state));
            }
            inRange.add(h);
            state = h.endState();
            Instant next = h.start().plus(HOUR);
            cursor = next.isAfter(cursor) ? next : cursor;
        }
        if (state != null && end.isAfter(cursor)) {
            carried.add(new Timeline.Segment(cursor, end, state));
        }
        List<Timeline.Segment> raw = to.isAfter(horizon) ? Timeline.load(c, deviceId, horizon, to) : List.of();
        return new History(from, to, horizon, inRange, carried, raw);
    }

    private static List<Hour> hours(Connection c, String deviceId, Instant from, Instant to) throws SQLException {
        List<Hour> hours = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT hour_start, start_state, end_state, online_ms, observed_ms "
                + "FROM availability_hourly WHERE device_id=? AND hour_start>=? AND hour_start<? ORDER BY hour_start")) {
            ps.setString(1, deviceId);
            ps.setObject(2, JdbcDeviceStore.time(from));
            ps.setObject(3, JdbcDeviceStore.time(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String start = rs.getString(2);
                    hours.add(new Hour(rs.getObject(1, OffsetDateTime.class).toInstant(),
                            start == null ? null : Timeline.stateOf(start), Timeline.stateOf(rs.getString(3)), rs.getLong(4),
                            rs.getLong(5)));
                }
            }
        }
        return hours;
    }

    private static Timeline.State anchor(Connection c, String deviceId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT anchor_state FROM devices WHERE id=?")) {
            ps.setString(1, deviceId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getString(1) != null ? Timeline.stateOf(rs.getString(1)) : null;
            }
        }
    }

    /** Share online of [a, b) (within [from, to)), intersected with the observation periods. */
    Availability share(List<Timeline.Period> periods, Instant a, Instant b) {
        double online = 0;
        double observed = 0;
        if (horizon != null && a.isBefore(horizon)) {
            Instant end = b.isBefore(horizon) ? b : horizon;
            long[] m = Timeline.millis(carried, periods, a, end);
            online += m[0];
            observed += m[1];
            for (Hour h : hours) {
                Instant x = h.start().isAfter(a) ? h.start() : a;
                Instant hourEnd = h.start().plus(HOUR);
                Instant y = hourEnd.isBefore(end) ? hourEnd : end;
                if (y.isAfter(x)) {
                    double part = (double) Duration.between(x, y).toMillis() / HOUR.toMillis();
                    online += h.onlineMs() * part;
                    observed += h.observedMs() * part;
                }
            }
        }
        Instant rawFrom = horizon != null && horizon.isAfter(a) ? horizon : a;
        if (b.isAfter(rawFrom)) {
            long[] m = Timeline.millis(raw, periods, rawFrom, b);
            online += m[0];
            observed += m[1];
        }
        long observedMs = Math.round(observed);
        return new Availability(a, b, observedMs == 0 ? 0 : online / observed, observedMs);
    }

    /**
     * Segments for the state strip: raw ones after the horizon; before it, each rolled-up hour in
     * the state it was mostly in (online if at least half its observed time), carried state between.
     */
    List<Timeline.Segment> segments() {
        List<Timeline.Segment> all = new ArrayList<>(carried);
        for (Hour h : hours) {
            if (h.observedMs() > 0) {
                Timeline.State mostly = h.onlineMs() * 2 >= h.observedMs() ? Timeline.State.ONLINE : Timeline.State.OFFLINE;
                Instant start = h.start().isBefore(from) ? from : h.start();
                Instant end = h.start().plus(HOUR);
                end = end.isAfter(to) ? to : end;
                end = horizon != null && end.isAfter(horizon) ? horizon : end;
                if (end.isAfter(start)) {
                    all.add(new Timeline.Segment(start, end, mostly));
                }
            }
        }
        all.addAll(raw);
        all.sort(java.util.Comparator.comparing(Timeline.Segment::from));
        return all;
    }
}
