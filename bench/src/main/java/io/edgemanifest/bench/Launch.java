package io.edgemanifest.bench;

import io.edgemanifest.testing.RunnableJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the project's runnable jars as real processes (measured from outside, as an operator's
 * would be), with the JVM flags under test; output goes to a log file per process.
 */
final class Launch {

    private Launch() {
    }

    /** {@code <root>/<module>/target/<module>.jar} with {@code jvmFlags}, reaped by the harness's {@link RunnableJar}. */
    static Process jar(Path root, String module, List<String> jvmFlags, Path log, String... args) {
        return RunnableJar.in(root, module).start(log, jvmFlags, args);
    }

    static Process start(Path log, List<String> command) {
        return RunnableJar.startProcess(log, command);
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

    static void killAll() {
        RunnableJar.reap();
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
