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
 * denominator (we do not know); time before the first event was never observed.
 */
final class Timeline {

    enum State { ONLINE, OFFLINE, UNKNOWN }

    record Segment(Instant from, Instant to, State state) {
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

    /** Segments covering [from, to) from the device's events (none before its first event). */
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

    /** Share of observed time online within [from, to). */
    static Availability share(List<Segment> segments, Instant from, Instant to) {
        long online = 0;
        long observed = 0;
        for (Segment s : segments) {
            Instant a = s.from().isAfter(from) ? s.from() : from;
            Instant b = s.to().isBefore(to) ? s.to() : to;
            if (!b.isAfter(a) || s.state() == State.UNKNOWN) {
                continue;
            }
            long ms = Duration.between(a, b).toMillis();
            observed += ms;
            if (s.state() == State.ONLINE) {
                online += ms;
            }
        }
        return new Availability(from, to, observed == 0 ? 0 : (double) online / observed, observed);
    }
}
