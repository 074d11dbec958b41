package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The packages this module's build made ({@code packaging/target/packages/}), the Debian tools that
 * inspect them, and the project they were built from. A missing tool fails the test, saying how to
 * get it ({@code ./edge test} installs them): never a skip.
 */
final class Packages {

    private Packages() {
    }

    /** The packaging module's directory (Failsafe runs in it). */
    static Path module() {
        Path here = Paths.get(System.getProperty("user.dir")).toAbsolutePath();
        return Files.isDirectory(here.resolve("src/deb")) ? here : here.resolve("packaging");
    }

    /** The project's root (sources of every module). */
    static Path projectRoot() {
        return module().getParent();
    }

    /** The Debian version of the packages: the Maven version with '-' as '~' (sorts before the release). */
    static String debianVersion() {
        String maven = System.getProperty("edge.version");
        assertThat(maven).as("system property edge.version (set by packaging/pom.xml)").isNotBlank();
        return maven.replace('-', '~');
    }

    static Path deb(Role role) {
        Path deb = module().resolve("target/packages").resolve(role.packageName() + "_" + debianVersion() + "_all.deb");
        assertThat(deb).as("built by this module's `mvn package` (./edge package)").isRegularFile();
        return deb;
    }

    /** Unpacks the package's files into {@code tree} ({@code dpkg-deb -x}), as installing would lay them out. */
    static Path unpack(Role role, Path tree) {
        Command.Result result = Command.run(List.of("dpkg-deb", "-x", deb(role).toString(), tree.toString()));
        assertThat(result.exitCode()).as(result.output()).isZero();
        return tree;
    }

    /** A process run to completion, output (stdout and stderr) captured. */
    static final class Command {

        private Command() {
        }

        record Result(int exitCode, String output) {
        }

        static Result run(List<String> command) {
            return run(command, Map.of());
        }

        static Result run(List<String> command, Map<String, String> env) {
            requireTool(command.get(0));
            try {
                ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
                builder.environment().putAll(env);
                Process process = builder.start();
                String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
                }
                return new Result(process.exitValue(), output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** Fails (never skips) when a Debian tool the tests need is not installed. */
        static void requireTool(String tool) {
            if (tool.contains("/")) {
                return;
            }
            boolean found = Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                    .map(dir -> Paths.get(dir, tool)).anyMatch(Files::isExecutable);
            if (!found) {
                throw new AssertionError(tool + " not found on PATH: the package tests need Debian's dpkg, lintian and "
                        + "systemd (systemd-analyze); ./edge test installs lintian as root, or: apt-get install lintian");
            }
        }
    }

    /** Lines of a file inside an unpacked tree. */
    static List<String> lines(Path file) {
        try {
            return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
