package io.edgemanifest.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Appends one JSON line per measured row to {@code bench/results/<scenario>.jsonl} and prints a table. */
final class Results {

    private Results() {
    }

    /** The row, stamped with scenario, date, machine and JVM, appended as one JSON line. */
    static void append(Path file, String scenario, Map<String, Object> row) {
        ObjectNode line = Http.JSON.createObjectNode();
        line.put("scenario", scenario);
        line.put("date", Instant.now().toString());
        line.put("machine", machine());
        line.put("java", System.getProperty("java.version"));
        // Not measured (NaN) is null in JSON, not the string "NaN".
        Map<String, Object> clean = new LinkedHashMap<>();
        row.forEach((k, v) -> clean.put(k, v instanceof Double d && (d.isNaN() || d.isInfinite()) ? null : v));
        line.setAll((ObjectNode) Http.JSON.valueToTree(clean));
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, Http.JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + file, e);
        }
    }

    static String machine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "?";
        }
        return host + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + (totalMemoryKib() / 1024 / 1024) + " GiB";
    }

    private static long totalMemoryKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // unknown
        }
        return 0;
    }

    /** A plain-text table of {@code rows} (same keys in each), columns in the first row's order. */
    static String table(List<Map<String, Object>> rows) {
        if (rows.isEmpty()) {
            return "(no rows)\n";
        }
        List<String> columns = List.copyOf(rows.get(0).keySet());
        Map<String, Integer> width = new LinkedHashMap<>();
        for (String c : columns) {
            int w = c.length();
            for (Map<String, Object> r : rows) {
                w = Math.max(w, format(r.get(c)).length());
            }
            width.put(c, w);
        }
        StringBuilder out = new StringBuilder();
        for (String c : columns) {
            out.append(String.format("%" + width.get(c) + "s  ", c));
        }
        out.append('\n');
        for (Map<String, Object> r : rows) {
            for (String c : columns) {
                out.append(String.format("%" + width.get(c) + "s  ", format(r.get(c))));
            }
            out.append('\n');
        }
        return out.toString();
    }

    static String format(Object value) {
        if (value instanceof Double d) {
            return d.isNaN() ? "-" : Math.abs(d) >= 100 ? String.format("%.0f", d) : String.format("%.2f", d);
        }
        return value == null ? "-" : value.toString();
    }

    static double round(double value, int decimals) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return value;
        }
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }
}
