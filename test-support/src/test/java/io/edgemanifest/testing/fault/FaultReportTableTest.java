package io.edgemanifest.testing.fault;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FaultReportTableTest {

    @TempDir
    Path root;

    @Test
    void collectsEveryModulesReportsSortedAndRendersARowEach() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Path a = Files.createDirectories(root.resolve("replicate/target/fault-report"));
        Path b = Files.createDirectories(root.resolve("fault/target/fault-report"));
        json.writeValue(a.resolve("x.json").toFile(), new FaultOutcome("ReplicateFaultIT", "all replicate killed", "UNKNOWN within 30 s", 31.2, 0, ""));
        json.writeValue(b.resolve("y.json").toFile(), new FaultOutcome("ConsulServerFaultIT", "leader | killed", "no false OFFLINE", null, 0, "elected in 2 s"));

        List<FaultOutcome> outcomes = FaultReportTable.collect(root);
        String table = FaultReportTable.render(outcomes);

        assertThat(outcomes).extracting(FaultOutcome::suite).containsExactly("ConsulServerFaultIT", "ReplicateFaultIT");
        assertThat(table).contains("| leader \\| killed | no false OFFLINE | — | 0 | ConsulServerFaultIT | elected in 2 s |")
                .contains("| all replicate killed | UNKNOWN within 30 s | 31.2 | 0 | ReplicateFaultIT |  |");
    }

    @Test
    void replacesOnlyWhatLiesBetweenTheMarkers() throws Exception {
        Path dir = Files.createDirectories(root.resolve("core/target/fault-report"));
        new ObjectMapper().writeValue(dir.resolve("z.json").toFile(), new FaultOutcome("S", "f", "m", 1.0, 0, "d"));
        Path doc = Files.createDirectories(root.resolve("docs")).resolve("reliability.md");
        Files.writeString(doc, "before\n" + FaultReportTable.BEGIN + "\nold table\n" + FaultReportTable.END + "\nafter\n");

        FaultReportTable.main(new String[] {root.toString()});

        assertThat(Files.readString(doc)).startsWith("before\n").endsWith(FaultReportTable.END + "\nafter\n")
                .contains("| f | m | 1.0 | 0 | S | d |").doesNotContain("old table");
    }

    @Test
    void slugKeepsFileNamesSafe() {
        assertThat(FaultReport.slug("Leader killed (-9), twice!")).isEqualTo("leader-killed-9-twice");
    }
}
