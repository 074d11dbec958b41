package io.edgemanifest.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

/** A module's self-contained jar ({@code target/<module>.jar}), run as a real process. */
public final class RunnableJar {

    private final Path jar;

    private RunnableJar(Path jar) {
        this.jar = jar;
    }

    /** The jar of {@code module}, looked up from the module's directory or the project root. */
    public static RunnableJar of(String module) {
        Path here = Paths.get(System.getProperty("user.dir"));
        for (Path candidate : List.of(here.resolve("target").resolve(module + ".jar"),
                here.resolve(module).resolve("target").resolve(module + ".jar"),
                here.resolveSibling(module).resolve("target").resolve(module + ".jar"))) {
            if (Files.isRegularFile(candidate)) {
                return new RunnableJar(candidate);
            }
        }
        throw new IllegalStateException("no runnable jar for " + module + " (build it with ./edge build)");
    }

    /** The jar of {@code module} under a project checkout: {@code <root>/<module>/target/<module>.jar}. */
    public static RunnableJar in(Path root, String module) {
        Path jar = root.resolve(module).resolve("target").resolve(module + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar + " (build it with ./edge build)");
        }
        return new RunnableJar(jar);
    }

    public Path path() {
        return jar;
    }

    /** Runs {@code java -jar <jar> args...} to completion (60 s at most). */
    public Result run(String... args) {
        return run(java.util.Map.of(), args);
    }

    /** As {@link #run(String...)}, with these environment variables added (e.g. {@code EDGE_TOKEN}). */
    public Result run(java.util.Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-jar", jar.toString()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().remove("EDGE_TOKEN");
            builder.environment().remove("EDGE_TOKEN_FILE");
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(jar + " did not exit within 60 s");
            }
            return new Result(process.exitValue(), output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts {@code java -jar <jar> args...} in the background, its output appended to {@code log}.
     * The caller owns the process: destroy it (or let {@link #reap}) when done.
     */
    public Process start(Path log, String... args) {
        return start(log, List.of(), args);
    }

    /** As {@link #start(Path, String...)}, with JVM flags before {@code -jar}. */
    public Process start(Path log, List<String> jvmFlags, String... args) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        command.addAll(jvmFlags);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        return startProcess(log, command);
    }

    /** Starts any {@code command} in the background like the jars, output appended to {@code log}, reaped with them. */
    public static Process startProcess(Path log, List<String> command) {
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            STARTED.add(process);
            return process;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final java.util.Set<Process> STARTED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(RunnableJar::reap, "runnable-jar-reaper"));
    }

    /** Kills every process started by {@link #start} that is still running. */
    public static void reap() {
        STARTED.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        STARTED.clear();
    }

    /** The provider class names listed in {@code META-INF/services/<service>} inside the jar. */
    public List<String> serviceProviders(String service) {
        try (JarFile file = new JarFile(jar.toFile())) {
            ZipEntry entry = file.getEntry("META-INF/services/" + service);
            if (entry == null) {
                return List.of();
            }
            String text = new String(file.getInputStream(entry).readAllBytes(), StandardCharsets.UTF_8);
            return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The java launcher of the JVM running the tests. */
    public static String javaBinary() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    public record Result(int exitCode, String output) {
    }
}
