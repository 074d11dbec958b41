package io.edgemanifest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the project's runnable jars as real processes (measured from outside, as an operator's
 * would be), with the JVM flags under test; output goes to a log file per process.
 */
final class Launch {

    private static final List<Process> STARTED = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Launch::killAll, "bench-reaper"));
    }

    private Launch() {
    }

    /** {@code <root>/<module>/target/<module>.jar}, which ./edge bench builds first. */
    static Path jar(Path root, String module) {
        Path jar = root.resolve(module).resolve("target").resolve(module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar + ": run ./edge build");
        }
        return jar;
    }

    static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    static synchronized Process start(Path log, List<String> command) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            STARTED.add(p);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command.get(0), e);
        }
    }

    static Process jar(Path root, String module, List<String> jvmFlags, Path log, String... args) {
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmFlags);
        command.add("-jar");
        command.add(jar(root, module).toString());
        command.addAll(List.of(args));
        return start(log, command);
    }

    /** SIGTERM, then SIGKILL after {@code seconds}. */
    static void stop(Process p, int seconds) {
        p.destroy();
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void kill(Process p) {
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static synchronized void killAll() {
        STARTED.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        STARTED.clear();
    }

    /** Puts back the Consul harness's log directory a scenario redirected into its own work folder. */
    static void restoreLogDir(String previous) {
        if (previous == null) {
            System.clearProperty("edge.test.logDir");
        } else {
            System.setProperty("edge.test.logDir", previous);
        }
    }

    /** Deletes a directory tree, best effort (benchmark scratch space). */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // scratch space: leaving it is harmless
        }
    }
}
