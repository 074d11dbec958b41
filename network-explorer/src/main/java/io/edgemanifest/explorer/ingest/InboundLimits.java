package io.edgemanifest.explorer.ingest;

import java.util.regex.Pattern;

/**
 * Bounds on everything the Explorer takes from the replica. A node record belongs to its node's
 * owner — for a host, a member of the public — so nothing in it is trusted to fit the store: every
 * field is checked and bounded on the way in, and a record that breaks a bound marks its own device
 * (a parse error) instead of failing the batch it travels in. The limits sit at or below the
 * columns of {@code V1__devices_and_events.sql}.
 */
final class InboundLimits {

    /** A record larger than a node may write (core refuses to write more than 64 KiB). */
    static final int MAX_RECORD_BYTES = 64 * 1024;
    /** devices.id, devices.gateway: VARCHAR(200). */
    static final int MAX_ID = 200;
    /** devices.datacenter, events.datacenter: VARCHAR(100). */
    static final int MAX_DATACENTER = 100;
    /** devices.city: VARCHAR(200). */
    static final int MAX_CITY = 200;
    /** devices.country: VARCHAR(100). */
    static final int MAX_COUNTRY = 100;
    static final int MAX_LABELS = 32;
    static final int MAX_LABEL_KEY = 64;
    static final int MAX_LABEL_VALUE = 256;

    /**
     * A node ID: what {@code NodeIdentity} creates ({@code host-<uuid>}) and what test and bench
     * networks use; no '/', quotes, spaces or control characters, at most 200 characters.
     */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,199}");
    /** Consul datacenter names: letters, digits, '-', '_' (and '.' to be lenient). */
    private static final Pattern DATACENTER = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

    private InboundLimits() {
    }

    static boolean validId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    static boolean validDatacenter(String dc) {
        return dc != null && DATACENTER.matcher(dc).matches();
    }

    /**
     * The text without control characters (PostgreSQL refuses NUL in text; none belongs in a city
     * or a label), or null when it is longer than {@code max} characters afterwards.
     */
    static String boundedText(String text, int max) {
        if (text == null) {
            return null;
        }
        String clean = stripControl(text);
        return clean.length() > max ? null : clean;
    }

    static String stripControl(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean bad = Character.isISOControl(c) || Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)))
                    && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1)));
            if (bad && out == null) {
                out = new StringBuilder(text.length()).append(text, 0, i);
            }
            if (!bad && out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** For log lines: at most 80 characters, control characters shown as '?'. */
    static String forLog(String text) {
        if (text == null) {
            return "null";
        }
        String shown = text.length() > 80 ? text.substring(0, 80) + "…(" + text.length() + " chars)" : text;
        StringBuilder out = new StringBuilder(shown.length());
        shown.codePoints().forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return out.toString();
    }
}
