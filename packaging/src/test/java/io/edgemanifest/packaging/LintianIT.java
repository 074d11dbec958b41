package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.packaging.Packages.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Debian's lintian on the five packages at once: an error fails, warnings are printed and written
 * to {@code target/lintian.txt} (docs/operators/README.md lists them and why they stay).
 */
class LintianIT {

    @Test
    void lintianFindsNoErrorInAnyPackage() throws IOException {
        List<String> command = new ArrayList<>(List.of("lintian", "--fail-on", "error"));
        for (Role role : Role.values()) {
            command.add(Packages.deb(role).toString());
        }

        Command.Result result = Command.run(command);

        List<String> findings = result.output().lines().filter(l -> l.matches("[EWIXO]: .*")).toList();
        findings.forEach(f -> System.out.println("lintian: " + f));
        Files.write(Packages.module().resolve("target/lintian.txt"), findings);
        assertThat(findings).as("lintian errors").noneMatch(l -> l.startsWith("E: "));
        // lintian exits non-zero on errors (and on failing to run at all).
        assertThat(result.exitCode()).as(result.output()).isZero();
    }
}
