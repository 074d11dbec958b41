package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.packaging.Packages.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each package's unit, in a tree the package was unpacked to: {@code systemd-analyze verify}
 * accepts it (its ExecStart resolves to the packaged launcher) and {@code systemd-analyze security}
 * rates its exposure below 5.0 ("OK" or better). The scores go to {@code target/unit-security/}.
 */
class SystemdUnitIT {

    private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for (\\S+): ([0-9.]+) (\\S+)");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(Role.class)
    void unitVerifiesAgainstTheUnpackedPackage(Role role) throws IOException {
        Path tree = unpackWithSystemTargets(role);

        Command.Result verify = Command.run(List.of("systemd-analyze", "verify", "--root=" + tree, role.unit()));

        // verify exits 0 on unknown keys and only warns: any output is a finding.
        assertThat(verify.exitCode()).as(verify.output()).isZero();
        assertThat(verify.output().strip()).as("systemd-analyze verify output").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void verifyNoticesAnExecStartThatDoesNotResolve(Role role) throws IOException {
        Path tree = unpackWithSystemTargets(role);
        Files.delete(role.launcherIn(tree));

        Command.Result verify = Command.run(List.of("systemd-analyze", "verify", "--root=" + tree, role.unit()));

        assertThat(verify.exitCode()).as(verify.output()).isNotZero();
        assertThat(verify.output()).contains("/usr/bin/edge-" + role.name);
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void unitRunsAsItsOwnUserHardenedWithAnExposureBelowFive(Role role) throws IOException {
        Path tree = Packages.unpack(role, tmp);
        Path unit = tree.resolve(role.unitPath());
        List<String> lines = Packages.lines(unit);

        assertThat(lines).contains("User=" + role.user(), "Group=" + role.user(),
                "EnvironmentFile=/etc/edge-manifest/" + role.name + ".env",
                "StateDirectory=edge-manifest/" + role.name,
                "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                "CapabilityBoundingSet=", "Restart=on-failure", "RestartPreventExitStatus=2");
        assertThat(lines).anyMatch(l -> l.startsWith("StartLimitIntervalSec="))
                .anyMatch(l -> l.startsWith("StartLimitBurst="))
                .anyMatch(l -> l.startsWith("TimeoutStopSec="))
                .anyMatch(l -> l.startsWith("ExecStart=/usr/bin/edge-" + role.name));
        // The JIT writes code and then runs it: W^X would kill the JVM.
        assertThat(lines).noneMatch(l -> l.startsWith("MemoryDenyWriteExecute"));
        if (role == Role.GATEWAY) {
            assertThat(lines).as("a drain (60 s) then a leave").contains("TimeoutStopSec=90s");
        }

        Command.Result security = Command.run(List.of("systemd-analyze", "security", "--offline=yes",
                "--root=" + tree, unit.toString()));
        Matcher m = EXPOSURE.matcher(security.output());
        assertThat(m.find()).as(security.output()).isTrue();
        double exposure = Double.parseDouble(m.group(2));
        record(role, exposure, m.group(3));
        assertThat(exposure).as(role.unit() + " exposure (" + m.group(3) + ")").isLessThan(5.0);
    }

    /** The package unpacked, plus the host's targets and slices the unit's dependencies name. */
    private Path unpackWithSystemTargets(Role role) throws IOException {
        Path tree = Packages.unpack(role, tmp);
        Path units = tree.resolve("lib/systemd/system");
        try (Stream<Path> system = Files.list(Paths.get("/lib/systemd/system"))) {
            for (Path f : system.filter(f -> f.toString().endsWith(".target") || f.toString().endsWith(".slice")).toList()) {
                if (Files.isRegularFile(f) && !Files.exists(units.resolve(f.getFileName()))) {
                    Files.copy(f, units.resolve(f.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return tree;
    }

    /** One file per unit under {@code target/unit-security/}, so a rerun replaces its line. */
    private static void record(Role role, double exposure, String rating) throws IOException {
        String line = String.format(Locale.ROOT, "%s exposure %.1f %s%n", role.unit(), exposure, rating);
        System.out.print("systemd-analyze security: " + line);
        Path dir = Files.createDirectories(Packages.module().resolve("target/unit-security"));
        Files.writeString(dir.resolve(role.unit() + ".txt"), line);
    }
}
