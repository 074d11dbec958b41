package io.edgemanifest.demo;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What scrapes of Prometheus text exposition export: every sample name (so a histogram's
 * {@code _bucket}, {@code _count} and {@code _sum} are there as written) with each label's values.
 */
final class Exposition {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+\\S+.*$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private static final Pattern TYPE = Pattern.compile("^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\\S+)");

    /** Metric family -> its declared type (counter, gauge, histogram, ...). */
    private final Map<String, String> types = new TreeMap<>();

    /** metric -> label -> values seen. */
    private final Map<String, Map<String, Set<String>>> metrics = new TreeMap<>();

    /** Adds one scrape's text. */
    Exposition add(String scrape) {
        for (String line : scrape.split("\n")) {
            Matcher type = TYPE.matcher(line);
            if (type.find()) {
                types.put(type.group(1), type.group(2));
            }
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line.strip());
            if (!sample.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            Map<String, Set<String>> labels = metrics.computeIfAbsent(sample.group(1), m -> new TreeMap<>());
            if (sample.group(3) != null) {
                Matcher label = LABEL.matcher(sample.group(3));
                while (label.find()) {
                    labels.computeIfAbsent(label.group(1), l -> new TreeSet<>()).add(label.group(2));
                }
            }
        }
        return this;
    }

    /** Whether {@code metric} is a sample name of a family declared {@code # TYPE ... gauge}. */
    boolean isGauge(String metric) {
        return "gauge".equals(types.get(metric));
    }

    boolean has(String metric) {
        return metrics.containsKey(metric);
    }

    /** The labels of {@code metric} (none when it is not exported). */
    Set<String> labels(String metric) {
        return metrics.getOrDefault(metric, Map.of()).keySet();
    }

    Set<String> values(String metric, String label) {
        return metrics.getOrDefault(metric, Map.of()).getOrDefault(label, Set.of());
    }

    Set<String> metrics() {
        return metrics.keySet();
    }
}
