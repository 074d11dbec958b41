package io.edgemanifest.testing.fault;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where fault scenarios leave their measurements: one JSON file per scenario under the running
 * module's {@code target/fault-report/}, overwritten by each run, so a later
 * {@code ./edge reliability} renders exactly what the last {@code ./edge test} measured.
 *
 * <p>Record only after the scenario's assertions passed: a row in the table means the property held.
 */
public final class FaultReport {

    static final String DIR = "fault-report";
    private static final ObjectMapper JSON = new ObjectMapper();

    private FaultReport() {
    }

    /** Writes {@code outcome} as {@code target/fault-report/<suite>--<fault slug>.json}. */
    public static Path record(FaultOutcome outcome) {
        Path dir = Paths.get(System.getProperty("user.dir"), "target", DIR);
        Path file = dir.resolve(outcome.suite() + "--" + slug(outcome.fault()) + ".json");
        try {
            Files.createDirectories(dir);
            JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), outcome);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fault report " + file, e);
        }
        return file;
    }

    static String slug(String fault) {
        String s = fault.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        return s.length() > 80 ? s.substring(0, 80) : s;
    }
}
