package io.edgemanifest.explorer.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The years bench, shrunk (2,000 devices, a year of 20 events each, H2): it runs and reports what it pruned. */
class ExplorerYearsBenchIT {

    @TempDir
    Path dir;

    @Test
    void aSimulatedYearIsGeneratedRefreshedRolledUpAndPrunedToTheRetention() throws Exception {
        Path out = dir.resolve("explorer-years.jsonl");
        String summary = ExplorerYearsBench.run(ExplorerYearsBench.Options.parse(new String[] {"--devices", "2000",
                "--events-per-device", "20", "--db", "h2", "--out", out.toString()}));
        assertThat(summary).contains("devices 2000, events 40000 (h2)");
        String json = Files.readString(out);
        assertThat(json).contains("\"scenario\":\"explorer-years\"", "\"devices\":2000", "\"events\":40000");
        // 275 of 365 days are older than 90 d: about three quarters of the events are rolled up and deleted.
        long pruned = Long.parseLong(json.replaceAll("(?s).*\"prunedEvents\":(\\d+).*", "$1"));
        assertThat(pruned).isBetween(40_000L * 70 / 100, 40_000L * 80 / 100);
        assertThat(Long.parseLong(json.replaceAll("(?s).*\"rollups\":(\\d+).*", "$1"))).isEqualTo(pruned);
    }
}
