package io.edgemanifest.explorer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * A device's status over time, rebuilt from its events: the basis of every availability figure.
 * ONLINE, MIGRATED and UPDATED mean online; OFFLINE offline; UNKNOWN is left out of the
 * denominator (we do not know); time before the first event was never observed, and neither was
 * time outside every observation period (the Explorer itself down).
 */
final class Timeline {

    enum State { ONLINE, OFFLINE, UNKNOWN }

    record Segment(Instant from, Instant to, State state) {
    }

    /** A stretch of time the Explorer was observing (ingesting). */
    record Period(Instant from, Instant to) {
    }

    /**
     * The observation periods overlapping [from, to), sorted; {@code openId} (this process's own,
     * still running) extends to {@code to}.
     */
    static List<Period> periods(Connection c, Instant from, Instant to, Long openId) throws SQLException {
        List<Period> periods = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, started_at, ended_at FROM observations "
                + "WHERE (ended_at > ? OR id = ?) AND started_at < ? ORDER BY started_at")) {
            ps.setObject(1, JdbcDeviceStore.time(from));
            ps.setLong(2, openId == null ? -1 : openId);
            ps.setObject(3, JdbcDeviceStore.time(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Instant start = rs.getObject(2, OffsetDateTime.class).toInstant();
                    Instant end = openId != null && rs.getLong(1) == openId ? to : rs.getObject(3, OffsetDateTime.class).toInstant();
                    periods.add(new Period(start, end));
                }
            }
        }
        return periods;
    }

    private Timeline() {
    }

    static State stateOf(String eventType) {
        return switch (EventType.valueOf(eventType)) {
            case ONLINE, MIGRATED, UPDATED -> State.ONLINE;
            case OFFLINE -> State.OFFLINE;
            case UNKNOWN -> State.UNKNOWN;
        };
    }

    /**
     * Segments covering [from, to) from the device's events (none before its first event). The
     * state before {@code from} is its last event's, or, when retention pruned that event, the
     * state retention kept ({@code devices.anchor_state}); {@code from} must not be before the
     * retention horizon (see {@link History}).
     */
    static List<Segment> load(Connection c, String deviceId, Instant from, Instant to) throws SQLException {
        State current = null;
        try (PreparedStatement ps = c.prepareStatement("SELECT event_type FROM events WHERE device_id=? AND happened_at<? "
                + "ORDER BY happened_at DESC, seq DESC LIMIT 1")) {
            ps.setString(1, deviceId);
            ps.setObject(2, JdbcDeviceStore.time(from));
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    current = stateOf(rs.getString(1));
                }
            }
        }
        if (current == null) {
            try (PreparedStatement ps = c.prepareStatement("SELECT anchor_state FROM devices WHERE id=?")) {
                ps.setString(1, deviceId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getString(1) != null) {
                        current = stateOf(rs.getString(1));
                    }
                }
            }
        }
        List<Segment> segments = new ArrayList<>();
        Instant cursor = from;
        try (PreparedStatement ps = c.prepareStatement("SELECT event_type, happened_at FROM events WHERE device_id=? "
                + "AND happened_at>=? AND happened_at<? ORDER BY happened_at, seq")) {
            ps.setString(1, deviceId);
            ps.setObject(2, JdbcDeviceStore.time(from));
            ps.setObject(3, JdbcDeviceStore.time(to));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Instant at = rs.getObject(2, OffsetDateTime.class).toInstant();
                    if (current != null && at.isAfter(cursor)) {
                        segments.add(new Segment(cursor, at, current));
                    }
                    current = stateOf(rs.getString(1));
                    cursor = at;
                }
            }
        }
        if (current != null && to.isAfter(cursor)) {
            segments.add(new Segment(cursor, to, current));
        }
        return segments;
    }

    /**
     * Share of observed time online within [from, to): time counts only inside an observation
     * period (the Explorer running) and outside UNKNOWN. Periods may overlap (two Explorers
     * handing over): overlaps are merged first so no time counts twice.
     */
    static Availability share(List<Segment> segments, List<Period> periods, Instant from, Instant to) {
        long[] m = millis(segments, periods, from, to);
        return new Availability(from, to, m[1] == 0 ? 0 : (double) m[0] / m[1], m[1]);
    }

    /** {online, observed} milliseconds of {@link #share}. */
    static long[] millis(List<Segment> segments, List<Period> periods, Instant from, Instant to) {
        long online = 0;
        long observed = 0;
        for (Period p : merge(periods)) {
            for (Segment s : segments) {
                Instant a = latest(s.from(), p.from(), from);
                Instant b = earliest(s.to(), p.to(), to);
                if (!b.isAfter(a) || s.state() == State.UNKNOWN) {
                    continue;
                }
                long ms = Duration.between(a, b).toMillis();
                observed += ms;
                if (s.state() == State.ONLINE) {
                    online += ms;
                }
            }
        }
        return new long[] {online, observed};
    }

    /**
     * The device's state over [from, to) as consecutive spans: a segment's state inside an
     * observation period, {@code nodata} outside every period or before the first event.
     */
    static List<StateSpan> spans(List<Segment> segments, List<Period> periods, Instant from, Instant to) {
        java.util.TreeSet<Instant> cuts = new java.util.TreeSet<>();
        cuts.add(from);
        cuts.add(to);
        for (Segment s : segments) {
            cuts.add(s.from());
            cuts.add(s.to());
        }
        List<Period> merged = merge(periods);
        for (Period p : merged) {
            cuts.add(p.from());
            cuts.add(p.to());
        }
        List<StateSpan> spans = new ArrayList<>();
        Instant a = null;
        for (Instant b : cuts.subSet(from, true, to, true)) {
            if (a != null) {
                String status = "nodata";
                Instant at = a;
                boolean observed = merged.stream().anyMatch(p -> !p.from().isAfter(at) && p.to().isAfter(at));
                if (observed) {
                    for (Segment s : segments) {
                        if (!s.from().isAfter(at) && s.to().isAfter(at)) {
                            status = s.state().name().toLowerCase(java.util.Locale.ROOT);
                        }
                    }
                }
                StateSpan last = spans.isEmpty() ? null : spans.get(spans.size() - 1);
                if (last != null && last.status().equals(status)) {
                    spans.set(spans.size() - 1, new StateSpan(status, last.from(), b));
                } else {
                    spans.add(new StateSpan(status, a, b));
                }
            }
            a = b;
        }
        return spans;
    }

    static List<Period> merge(List<Period> periods) {
        List<Period> sorted = new ArrayList<>(periods);
        sorted.sort(java.util.Comparator.comparing(Period::from));
        List<Period> merged = new ArrayList<>();
        for (Period p : sorted) {
            Period last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && !p.from().isAfter(last.to())) {
                merged.set(merged.size() - 1, new Period(last.from(), latest(last.to(), p.to())));
            } else {
                merged.add(p);
            }
        }
        return merged;
    }

    private static Instant latest(Instant... instants) {
        Instant max = instants[0];
        for (Instant i : instants) {
            max = i.isAfter(max) ? i : max;
        }
        return max;
    }

    private static Instant earliest(Instant... instants) {
        Instant min = instants[0];
        for (Instant i : instants) {
            min = i.isBefore(min) ? i : min;
        }
        return min;
    }
}
