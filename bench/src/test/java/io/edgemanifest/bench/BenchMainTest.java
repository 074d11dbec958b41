package io.edgemanifest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** {@code ./edge bench <scenario> --help} answers with the scenario's options, not "Unknown option". */
class BenchMainTest {

    @ParameterizedTest
    @ValueSource(strings = {"scale", "detection", "footprint", "readpath", "charts"})
    void everyScenarioAnswersHelpWithItsUsageAndExitZero(String scenario) {
        CommandLine cli = Cli.commandLine(new BenchMain());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));

        int code = cli.execute(scenario, "--help");

        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("Usage: edge bench " + scenario);
        assertThat(err.toString()).doesNotContain("Unknown option");
    }
}
