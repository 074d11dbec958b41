package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.packaging.Packages.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

    /**
     * The operator enables the unit after installing (postinst enables nothing); purge must still
     * remove that symlink. {@code deb-systemd-helper purge} removes only the links recorded in its
     * state, which postinst's {@code update-state} writes. The {@code deb-systemd-helper} lines of the
     * packaged postinst and postrm run as written, in the unpacked tree ({@code DPKG_ROOT}; the rest
     * of those scripts creates users and directories on this machine, so it is not run here), and
     * {@code systemctl --root} enables the unit as the operator would.
     */
    @ParameterizedTest
    @EnumSource(Role.class)
    void purgeRemovesTheSymlinksOfAnEnableTheOperatorDidAfterInstalling(Role role) throws IOException {
        Path tree = unpackWithSystemTargets(role);
        Path control = tree.resolve("DEBIAN");
        Command.Result extract = Command.run(List.of("dpkg-deb", "-e", Packages.deb(role).toString(), control.toString()));
        assertThat(extract.exitCode()).as(extract.output()).isZero();
        Map<String, String> dpkg = Map.of("DPKG_ROOT", tree.toString(), "DPKG_MAINTSCRIPT_PACKAGE", role.packageName());
        Path wants = tree.resolve("etc/systemd/system/multi-user.target.wants").resolve(role.unit());

        runHelperLines(control.resolve("postinst"), role, dpkg);
        assertThat(wants).as("postinst enables nothing").doesNotExist();
        Command.Result enable = Command.run(List.of("systemctl", "--root=" + tree, "enable", role.unit()));
        assertThat(enable.exitCode()).as(enable.output()).isZero();
        assertThat(Files.isSymbolicLink(wants)).as(enable.output()).isTrue();

        runHelperLines(control.resolve("postrm"), role, dpkg);

        assertThat(Files.exists(wants, LinkOption.NOFOLLOW_LINKS)).as("symlink left after purge").isFalse();
    }

    /**
     * Runs the script's {@code deb-systemd-helper} lines, in order, with {@code $1} the step dpkg
     * gives it, without their {@code >/dev/null || true} so that a failing call fails the test.
     */
    private static void runHelperLines(Path script, Role role, Map<String, String> env) throws IOException {
        List<String> lines = Files.readAllLines(script).stream().map(String::strip)
                .filter(l -> l.startsWith("deb-systemd-helper ")).toList();
        assertThat(lines).as(script + " calls deb-systemd-helper").isNotEmpty().allMatch(l -> l.contains(role.unit()));
        String step = script.getFileName().toString().equals("postinst") ? "configure" : "purge";
        for (String line : lines) {
            String call = line.replaceFirst("\\s*>/dev/null.*$", "");
            Command.Result result = Command.run(List.of("sh", "-c", call, script.getFileName().toString(), step), env);
            assertThat(result.exitCode()).as(call + ": " + result.output()).isZero();
        }
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
