package io.edgemanifest.explorer;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long raw events are kept (--events-retention, #15); older ones are rolled up per device and
 * hour and deleted. At least 2 days: the 24 h availability column and the live views read raw
 * events, and pruning works in whole hours.
 */
public record EventsRetention(Duration raw) {

    static final Duration MINIMUM = Duration.ofDays(2); // before DEFAULT: its constructor reads it
    public static final EventsRetention DEFAULT = new EventsRetention(Duration.ofDays(90));
    /** At most this many hours per pruning run, so a backlog (a first start on years of events) is worked off in slices. */
    static final int HOURS_PER_RUN = 60;

    private static final Pattern DAYS = Pattern.compile("(\\d{1,6})d");

    public EventsRetention {
        if (raw == null || raw.compareTo(MINIMUM) < 0) {
            throw new IllegalArgumentException("invalid --events-retention " + raw + " (at least 2d)");
        }
    }

    /** {@code 90d}, or any duration the other flags take ({@code 72h}); one line naming the value when invalid. */
    public static EventsRetention parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        Duration raw;
        try {
            Matcher days = DAYS.matcher(trimmed);
            raw = days.matches() ? Duration.ofDays(Long.parseLong(days.group(1))) : io.edgemanifest.core.cli.Durations.parse(trimmed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid --events-retention '" + text + "' (use e.g. 90d, at least 2d)");
        }
        if (raw.compareTo(MINIMUM) < 0) {
            throw new IllegalArgumentException("invalid --events-retention '" + text + "' (at least 2d)");
        }
        return new EventsRetention(raw);
    }
}
