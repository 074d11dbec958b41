package io.edgemanifest.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the {@code consul} binary by the same rules as {@code ./edge consul}: {@code CONSUL_BIN}
 * (env or system property {@code edge.consul.bin}), then the project-local copy under
 * {@code .tools/consul/}, then {@code consul} on {@code PATH} if it is v1.8 or newer.
 *
 * <p>It never downloads anything: provisioning is the launcher's job, so a test run that cannot
 * find Consul fails with a message saying how to get one instead of silently skipping.
 */
public final class ConsulBinary {

    /** Where {@code ./edge consul} unpacks Debian's consul package, relative to the project root. */
    public static final String PROJECT_LOCAL = ".tools/consul/usr/bin/consul";

    private static final Pattern VERSION = Pattern.compile("Consul v(\\d+)\\.(\\d+)\\.(\\d+)");

    private ConsulBinary() {
    }

    /** The binary to run; throws {@link IllegalStateException} saying what to do when there is none. */
    public static Path locate() {
        String explicit = Optional.ofNullable(System.getProperty("edge.consul.bin"))
                .orElse(System.getenv("CONSUL_BIN"));
        if (explicit != null && !explicit.isBlank()) {
            Path path = Paths.get(explicit);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException("CONSUL_BIN=" + explicit + " is not an executable file");
            }
            return path;
        }
        Optional<Path> local = projectLocal(Paths.get(System.getProperty("user.dir")));
        if (local.isPresent()) {
            return local.get();
        }
        Optional<Path> onPath = onPath();
        if (onPath.isPresent() && version(onPath.get()).map(v -> v.atLeast(1, 8)).orElse(false)) {
            return onPath.get();
        }
        throw new IllegalStateException("No Consul binary found (CONSUL_BIN unset, no " + PROJECT_LOCAL
                + ", no consul >= 1.8 on PATH): run ./edge consul to fetch one");
    }

    /** Walks up from {@code start} looking for the project-local binary. */
    static Optional<Path> projectLocal(Path start) {
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve(PROJECT_LOCAL);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Paths.get(dir, "consul");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Runs {@code consul version} and parses its first line; empty when it cannot be run or read. */
    public static Optional<Version> version(Path binary) {
        try {
            Process process = new ProcessBuilder(binary.toString(), "version").redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return Optional.empty();
            }
            return parseVersion(out);
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    static Optional<Version> parseVersion(String output) {
        Matcher m = VERSION.matcher(output);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new Version(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                Integer.parseInt(m.group(3))));
    }

    /** A Consul release number. */
    public record Version(int major, int minor, int patch) {
        public boolean atLeast(int wantMajor, int wantMinor) {
            return major > wantMajor || (major == wantMajor && minor >= wantMinor);
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }
}
