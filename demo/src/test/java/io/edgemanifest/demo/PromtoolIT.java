package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules as Prometheus itself reads them: {@code promtool check rules} (syntax, templates)
 * and {@code promtool test rules} (the main alerts fire on synthetic failing series and stay quiet
 * on healthy ones next to them). promtool comes from {@code ./edge test} (Debian's prometheus
 * package, unpacked under .tools/); without it this fails saying so.
 */
class PromtoolIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path RULES = ROOT.resolve("deploy/prometheus");

    /** PROMTOOL_BIN, else .tools/prometheus/promtool, else promtool on PATH. */
    static Path promtool() {
        String explicit = System.getenv("PROMTOOL_BIN");
        if (explicit != null && !explicit.isBlank()) {
            assertThat(Path.of(explicit)).as("PROMTOOL_BIN=" + explicit + " must be an executable file").isExecutable();
            return Path.of(explicit);
        }
        Path local = ROOT.resolve(".tools/prometheus/promtool");
        Optional<Path> found = Files.isExecutable(local) ? Optional.of(local)
                : Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                        .filter(d -> !d.isEmpty()).map(d -> Path.of(d, "promtool")).filter(Files::isExecutable).findFirst();
        return found.orElseThrow(() -> new AssertionError("promtool not found (PROMTOOL_BIN unset, no " + local
                + ", none on PATH): run ./edge test, which fetches Debian's prometheus package for it, or set PROMTOOL_BIN"));
    }

    private static String run(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(promtool().toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("promtool finished").isTrue();
        assertThat(p.exitValue()).as(String.join(" ", args) + ":\n" + output).isZero();
        return output;
    }

    @Test
    void theAlertRulesAreValidPrometheusRules() throws Exception {
        assertThat(run("check", "rules", "alerts.yml")).contains("SUCCESS").containsPattern("\\d+ rules found");
    }

    @Test
    void theMainAlertsFireOnFailingSeriesAndNotOnHealthyOnes() throws Exception {
        assertThat(run("test", "rules", "alerts.test.yml")).contains("SUCCESS");
    }
}
