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
 * @param unreachableAfter how long a scope must keep failing before its source is reported
 *                        {@code unreachable}: a leader election (a few seconds without a leader) is not an outage
 * @param maxStale        oldest data accepted from a server that lost contact with its leader
 *                        ({@code X-Consul-LastContact} of a {@code ?stale} read); older answers count as failures
 * @param resyncHold      after a source's state was reset (its index went backwards), how long the deletion of a
 *                        service on a node that is alive but has not re-synced its services yet is held
 */
public record ReplicateSettings(List<String> prefixes, List<String> excludes, Duration blockingWait, double guardRatio,
                                int guardMinEntries, Duration confirmDelay, Duration maxBackoff,
                                Duration unreachableAfter, Duration maxStale, Duration resyncHold) {

    /**
     * The longest {@code --wait}. A quiet source answers once per wait (plus Consul's jitter of up to
     * wait/16), and that answer is all that keeps {@code replicate_last_success_age_seconds} low: the
     * alert ReplicateSourceSilent ({@code > 120}, deploy/prometheus/alerts.yml) assumes at most this,
     * so a longer wait would make it fire on quiet, healthy sources. Change both together.
     */
    public static final Duration MAX_BLOCKING_WAIT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_UNREACHABLE_AFTER = Duration.ofSeconds(10);
    public static final Duration DEFAULT_MAX_STALE = Duration.ofSeconds(10);
    /**
     * A Consul 1.8 client agent re-syncs its services fully every {@code ae_interval} (1 min) plus a
     * random stagger of up to another minute (agent/ae), sooner only when it sees a server join. After
     * a wipe whose servers came back before the agent noticed them gone, a live host can stay absent
     * for up to 2 min (seen: 77 s, beyond the former 60 s hold, a false OFFLINE in ConsulFaultIT).
     */
    public static final Duration DEFAULT_RESYNC_HOLD = Duration.ofSeconds(130);

    /** With the default fault tolerances. */
    public ReplicateSettings(List<String> prefixes, List<String> excludes, Duration blockingWait, double guardRatio,
                             int guardMinEntries, Duration confirmDelay, Duration maxBackoff) {
        this(prefixes, excludes, blockingWait, guardRatio, guardMinEntries, confirmDelay, maxBackoff,
                DEFAULT_UNREACHABLE_AFTER, DEFAULT_MAX_STALE, DEFAULT_RESYNC_HOLD);
    }

    public ReplicateSettings {
        requirePositive(unreachableAfter, "--unreachable-after");
        requirePositive(maxStale, "--max-stale");
        requirePositive(resyncHold, "--resync-hold");
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
        if (blockingWait.compareTo(Duration.ofSeconds(1)) < 0 || blockingWait.compareTo(MAX_BLOCKING_WAIT) > 0) {
            throw new IllegalArgumentException("--wait must be between 1s and " + MAX_BLOCKING_WAIT.toSeconds() + "s: "
                    + blockingWait.toMillis() + "ms");
        }
        if (guardRatio <= 0 || guardRatio > 1) {
            throw new IllegalArgumentException("--delete-guard-ratio must be in (0, 1]: " + guardRatio);
        }
        if (guardMinEntries < 0) {
            throw new IllegalArgumentException("--delete-guard-min must be >= 0: " + guardMinEntries);
        }
    }

    private static void requirePositive(Duration d, String flag) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("invalid " + flag + " " + d + " (must be positive)");
        }
    }

    private static void validatePrefix(String prefix, String flag) {
        if (prefix == null || prefix.isBlank() || prefix.startsWith("/") || prefix.contains("..")
                || prefix.startsWith("replica/") || prefix.startsWith("replicate/")) {
            throw new IllegalArgumentException("invalid " + flag + " '" + prefix + "'");
        }
    }
}
