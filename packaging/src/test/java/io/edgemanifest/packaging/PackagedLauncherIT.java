package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher inside a package, run from a tree the package was unpacked to (as from /usr/bin
 * once installed), starts its program against a real Consul: the package's own jar and JVM flags,
 * a class-data archive in host-agent's state dir, and SIGTERM ends in a clean leave and exit 0.
 */
class PackagedLauncherIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.single();

    @TempDir
    Path tmp;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    @Test
    void hostAgentLauncherRunsThePackagedJarWithItsSmallHeapAndKeepsAClassDataArchiveInItsStateDir() throws Exception {
        Path tree = Packages.unpack(Role.HOST_AGENT, tmp.resolve("root"));
        Path state = tmp.resolve("state");
        ConsulAgent agent = consul.agent();

        Process host = start(Role.HOST_AGENT, tree, "--consul", agent.httpUrl(), "--ttl", "3s");
        // The unit hands the state dir over as EDGE_STATE_DIR: so does this test.
        Path nodeIdFile = state.resolve("node-id");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.isRegularFile(nodeIdFile));
        String id = Files.readString(nodeIdFile).strip();
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.get("/v1/health/checks/" + id).orElse("").matches("(?s).*\"Status\":\\s*\"passing\".*"));

        List<String> jvm = host.info().arguments().map(List::of).orElseThrow();
        assertThat(jvm).contains("-Xmx32m", "-XX:+UseSerialGC", "-XX:SharedArchiveFile=" + state.resolve("host-agent.jsa"),
                tree.resolve(Role.HOST_AGENT.jarPath()).toString());

        host.destroy();
        assertThat(host.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(host.exitValue()).isZero();
        // The JVM writes the archive as it exits; the next start maps it.
        assertThat(state.resolve("host-agent.jsa")).isNotEmptyFile();
        assertThat(agent.get("/v1/catalog/service/" + id).orElseThrow()).isEqualToIgnoringWhitespace("[]");
    }

    @Test
    void gatewayLauncherRegistersWithAPassingGrpcCheckAndLeavesOnSigterm() throws Exception {
        Path tree = Packages.unpack(Role.GATEWAY, tmp.resolve("root"));
        ConsulAgent agent = consul.agent();
        int port = FreePorts.next();

        Process gateway = start(Role.GATEWAY, tree, "--consul", agent.httpUrl(), "--grpc-port", String.valueOf(port));
        await().atMost(Duration.ofSeconds(30)).until(() -> agent.get("/v1/health/service/gateway?passing").orElse("[]")
                .contains("gRPC check 127.0.0.1:" + port + ": success"));

        List<String> jvm = gateway.info().arguments().map(List::of).orElseThrow();
        assertThat(jvm).contains("-Xmx256m", "-XX:+ExitOnOutOfMemoryError", tree.resolve(Role.GATEWAY.jarPath()).toString());

        gateway.destroy();
        assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(gateway.exitValue()).isZero();
        assertThat(agent.get("/v1/catalog/service/gateway").orElseThrow()).isEqualToIgnoringWhitespace("[]");
    }

    @Test
    void launcherSkipsAJavaOlderThan21AndPassesTheRoleFlagsThenJavaOptsThenTheJarAndArguments() throws Exception {
        Path tree = Packages.unpack(Role.STARGATE, tmp.resolve("root"));
        Path old = fakeJava(tmp.resolve("jdk17"), "17.0.15", null);
        Path args = tmp.resolve("args");
        Path recent = fakeJava(tmp.resolve("jdk21"), "21.0.7", args);

        // JAVA_HOME is a Java 17: skipped, the next candidate (a real one) runs the program.
        Packages.Command.Result skipped = Packages.Command.run(List.of(Role.STARGATE.launcherIn(tree).toString(), "--version"),
                java.util.Map.of("JAVA_HOME", old.toString()));
        assertThat(skipped.exitCode()).as(skipped.output()).isZero();
        assertThat(skipped.output()).contains("stargate 0.1.0");

        // JAVA_HOME is a Java 21: it is the one used, with jvm.options, then JAVA_OPTS, then the jar.
        Packages.Command.Result chosen = Packages.Command.run(List.of(Role.STARGATE.launcherIn(tree).toString(), "--datacenter", "dc1"),
                java.util.Map.of("JAVA_HOME", recent.toString(), "JAVA_OPTS", "-Xmx64m"));
        assertThat(chosen.exitCode()).as(chosen.output()).isZero();
        List<String> passed = Files.readAllLines(args);
        assertThat(passed).containsSubsequence("-XX:+UseG1GC", "-Xmx256m", "-Xmx64m", "-jar",
                tree.resolve(Role.STARGATE.jarPath()).toString(), "--datacenter", "dc1");
    }

    @Test
    void brokenJavasAreSkippedAndWithoutAUsableOneTheLauncherSaysWhatIsMissingInOneLineAndExits2() throws Exception {
        Path tree = Packages.unpack(Role.STARGATE, tmp.resolve("root"));
        // JAVA_HOME: a java that fails on -version and prints nothing.
        Path broken = script(tmp.resolve("broken/bin/java"), "echo boom >&2; exit 1");
        // The installed Javas (EDGE_JVM_DIR): one reporting a version that is no number, and a Java 17
        // whose release file says so, so that it is skipped without being started.
        Path jvms = tmp.resolve("jvm");
        script(jvms.resolve("a-garbage/bin/java"), "echo 'openjdk version \"abc\"'; exit 3");
        Path started17 = tmp.resolve("java17-started");
        script(jvms.resolve("b-old/bin/java"), "touch '" + started17 + "'");
        Files.writeString(jvms.resolve("b-old/release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"17.0.15\"\n");
        // PATH: the tools the launcher uses, and no java.
        Path tools = Files.createDirectories(tmp.resolve("tools"));
        for (String tool : List.of("bash", "readlink", "dirname", "basename", "tr", "awk", "grep", "mkdir")) {
            Files.createSymbolicLink(tools.resolve(tool), Path.of(onPath(tool)));
        }
        java.util.Map<String, String> env = java.util.Map.of("PATH", tools.toString(), "JAVA_HOME", broken.getParent().getParent().toString(),
                "EDGE_JVM_DIR", jvms.toString());

        Packages.Command.Result none = Packages.Command.run(List.of(Role.STARGATE.launcherIn(tree).toString(), "--version"), env);

        assertThat(none.exitCode()).as(none.output()).isEqualTo(2);
        assertThat(none.output().strip()).doesNotContain("\n")
                .startsWith("edge-stargate: no Java >= 21 found").contains(jvms + "/*")
                .contains(broken + " (no version)", jvms.resolve("a-garbage/bin/java") + " (no version)", jvms.resolve("b-old/bin/java") + " (17)");
        assertThat(started17).doesNotExist();

        // A usable Java after the broken ones: the search goes on to it and it runs the program.
        Files.createSymbolicLink(jvms.resolve("z-real"), Path.of(RunnableJar.javaBinary()).getParent().getParent());
        Packages.Command.Result found = Packages.Command.run(List.of(Role.STARGATE.launcherIn(tree).toString(), "--version"), env);

        assertThat(found.exitCode()).as(found.output()).isZero();
        assertThat(found.output()).contains("stargate 0.1.0");
    }

    @Test
    void aSymlinkRunsTheRoleItIsNamedAfter() throws Exception {
        Path gateway = Files.createSymbolicLink(tmp.resolve("gateway"), Packages.projectRoot().resolve("bin/host-agent"));

        Packages.Command.Result result = Packages.Command.run(List.of(gateway.toString(), "--version"));

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("gateway 0.1.0").doesNotContain("host-agent");
    }

    @Test
    void theSameLauncherRunsFromTheSourceTreeAsBinHostAgent() throws Exception {
        Path source = Packages.projectRoot().resolve("bin/host-agent");
        Path tree = Packages.unpack(Role.HOST_AGENT, tmp.resolve("root"));
        assertThat(Files.readString(Role.HOST_AGENT.launcherIn(tree))).isEqualTo(Files.readString(source));

        Packages.Command.Result result = Packages.Command.run(List.of(source.toString(), "--version"),
                java.util.Map.of("EDGE_STATE_DIR", tmp.resolve("state").toString()));

        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("host-agent 0.1.0");
    }

    /**
     * A JAVA_HOME whose bin/java reports {@code version} to {@code -version} and otherwise writes
     * its arguments, one a line, to {@code record} (when given).
     */
    private static Path fakeJava(Path home, String version, Path record) throws IOException {
        Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\n"
                + "if [ \"$1\" = -version ]; then echo 'openjdk version \"" + version + "\" 2025-04-15' >&2; exit 0; fi\n"
                + (record == null ? "exit 1\n" : "printf '%s\\n' \"$@\" > '" + record + "'\n"));
        java.toFile().setExecutable(true);
        return home;
    }

    /** An executable sh script at {@code path} with {@code body}. */
    private static Path script(Path path, String body) throws IOException {
        Files.createDirectories(path.getParent());
        Files.writeString(path, "#!/bin/sh\n" + body + "\n");
        path.toFile().setExecutable(true);
        return path;
    }

    /** Where a tool is on this JVM's PATH (so the launcher can be given a PATH of only the tools it needs). */
    private static String onPath(String tool) {
        return java.util.stream.Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":"))
                .map(dir -> Path.of(dir, tool)).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError(tool + " not found on PATH")).toString();
    }

    /** The packaged launcher, with the environment a unit gives it (EDGE_STATE_DIR) and no token. */
    private Process start(Role role, Path tree, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(role.launcherIn(tree).toString()));
        command.addAll(List.of(args));
        Path log = Packages.module().resolve("target/launcher-logs/" + role.name + ".log");
        Files.createDirectories(log.getParent());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().keySet().removeIf(k -> k.startsWith("EDGE_") || k.equals("JAVA_OPTS"));
        builder.environment().put("EDGE_STATE_DIR", tmp.resolve("state").toString());
        // The JVM running the tests is >= 21; the launcher would also find one on its own.
        builder.environment().put("JAVA_HOME", Path.of(RunnableJar.javaBinary()).getParent().getParent().toString());
        Process process = builder.start();
        started.add(process);
        return process;
    }
}
