package io.edgemanifest.explorer.api;

import io.edgemanifest.explorer.store.DeviceQuery;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Query parameters read strictly: anything unexpected is a 400 naming the parameter and its value. */
final class Params {

    static final Set<String> KINDS = Set.of("host", "gateway", "stargate");
    static final Set<String> SORTS = Set.of("id", "kind", "datacenter", "status", "lastSeen", "firstSeen", "availability");
    /** The ranges of availability, timeline and report, in the order the UI offers them. */
    static final Map<String, Duration> RANGES = orderedRanges();

    private Params() {
    }

    private static Map<String, Duration> orderedRanges() {
        Map<String, Duration> m = new java.util.LinkedHashMap<>();
        m.put("24h", Duration.ofHours(24));
        m.put("7d", Duration.ofDays(7));
        m.put("30d", Duration.ofDays(30));
        m.put("90d", Duration.ofDays(90));
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The device list's filters and sort ({@code /api/nodes}, its counts and its CSV). */
    static DeviceQuery deviceQuery(Context ctx, int limit, String cursor) {
        String kind = optionalEnum(ctx, "kind", KINDS);
        DeviceStatus status = ctx.queryParam("status") == null ? null : status(ctx.queryParam("status"));
        String sort = ctx.queryParam("sort") == null ? "id" : ctx.queryParam("sort");
        if (!SORTS.contains(sort.startsWith("-") ? sort.substring(1) : sort)) {
            throw ApiError.badParameter("sort", sort, "one of " + SORTS + ", '-' for descending");
        }
        Boolean belowTarget = ctx.queryParam("belowTarget") == null ? null : bool(ctx, "belowTarget");
        Boolean located = ctx.queryParam("located") == null ? null : bool(ctx, "located");
        return new DeviceQuery(kind, blankToNull(ctx.queryParam("datacenter")), status, blankToNull(ctx.queryParam("q")),
                belowTarget, sort, limit, cursor, blankToNull(ctx.queryParam("gateway")), MapRoutes.bbox(ctx.queryParam("bbox")),
                located);
    }

    static DeviceStatus status(String value) {
        try {
            return DeviceStatus.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiError.badParameter("status", value, "online, offline or unknown");
        }
    }

    static String optionalEnum(Context ctx, String name, Set<String> allowed) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return null;
        }
        if (!allowed.contains(value)) {
            throw ApiError.badParameter(name, value, "one of " + new java.util.TreeSet<>(allowed));
        }
        return value;
    }

    static int integer(Context ctx, String name, int fallback, int min, int max) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, value, "an integer from " + min + " to " + max);
        }
    }

    static Long optionalLong(Context ctx, String name, long min, long max) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return null;
        }
        try {
            long n = Long.parseLong(value);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiError.badParameter(name, value, "an integer from " + min + " to " + max);
        }
    }

    static boolean bool(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if ("true".equals(value)) {
            return true;
        }
        if ("false".equals(value)) {
            return false;
        }
        throw ApiError.badParameter(name, value, "true or false");
    }

    /** {@code range} as one of 24h 7d 30d 90d ({@code fallback} when absent). */
    static String range(Context ctx, String fallback) {
        String value = ctx.queryParam("range");
        if (value == null) {
            return fallback;
        }
        if (!RANGES.containsKey(value)) {
            throw ApiError.badParameter("range", value, "one of " + String.join(", ", RANGES.keySet()));
        }
        return value;
    }

    static Instant instant(Context ctx, String name, Instant fallback) {
        String value = ctx.queryParam(name);
        if (value == null) {
            return fallback;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiError.badParameter(name, value, "an ISO-8601 instant such as 2026-11-26T10:00:00Z");
        }
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
