package io.edgemanifest.replicate;

import java.time.Duration;
import java.util.List;

/**
 * How replication behaves, validated at construction.
 *
 * @param blockingWait    longest a blocking query waits at a source
 * @param guardRatio      share of a scope's entries one answer may delete without confirmation
 * @param guardMinEntries ... and how many (both must be exceeded to trip the guard)
 * @param confirmDelay    wait before the confirming consistent read
 */
public record ReplicateSettings(List<String> prefixes, List<String> excludes, Duration blockingWait, double guardRatio,
                                int guardMinEntries, Duration confirmDelay, Duration maxBackoff) {

    public ReplicateSettings {
        if (prefixes == null || prefixes.isEmpty()) {
            throw new IllegalArgumentException("at least one --prefix is needed");
        }
        for (String p : prefixes) {
            validatePrefix(p, "--prefix");
        }
        excludes = excludes == null ? List.of() : List.copyOf(excludes);
        for (String e : excludes) {
            validatePrefix(e, "--exclude");
        }
        prefixes = List.copyOf(prefixes);
        if (blockingWait.compareTo(Duration.ofSeconds(1)) < 0 || blockingWait.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("--wait must be between 1s and 10m: " + blockingWait.toMillis() + "ms");
        }
        if (guardRatio <= 0 || guardRatio > 1) {
            throw new IllegalArgumentException("--delete-guard-ratio must be in (0, 1]: " + guardRatio);
        }
        if (guardMinEntries < 0) {
            throw new IllegalArgumentException("--delete-guard-min must be >= 0: " + guardMinEntries);
        }
    }

    private static void validatePrefix(String prefix, String flag) {
        if (prefix == null || prefix.isBlank() || prefix.startsWith("/") || prefix.contains("..")
                || prefix.startsWith("replica/") || prefix.startsWith("replicate/")) {
            throw new IllegalArgumentException("invalid " + flag + " '" + prefix + "'");
        }
    }
}
