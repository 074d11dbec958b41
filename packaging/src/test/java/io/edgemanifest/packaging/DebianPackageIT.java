package io.edgemanifest.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.packaging.Packages.Command;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What {@code dpkg-deb} says about each package: its control fields, its files and its conffiles. */
class DebianPackageIT {

    private static final Pattern ENV_VARIABLE = Pattern.compile("(?:env:|getenv\\(\")(EDGE_[A-Z_]+)");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(Role.class)
    void controlNamesThePackageItsVersionAndAJavaRuntimeOf21OrNewerFromDebian(Role role) {
        String info = dpkgDeb("--info", role);

        assertThat(field(info, "Package")).isEqualTo(role.packageName());
        assertThat(field(info, "Version")).isEqualTo(Packages.debianVersion());
        assertThat(field(info, "Architecture")).isEqualTo("all");
        // Debian's default runtime once it is 21 (trixie), or any package providing a Java 21
        // runtime (openjdk-21/25-jre-headless, Temurin): no JDK inside the package.
        assertThat(field(info, "Depends")).startsWith("default-jre-headless (>= 2:1.21) | java-runtime-headless (>= 21) | java21-runtime-headless")
                .contains("adduser");
        assertThat(field(info, "Maintainer")).contains("<").contains("@");
        assertThat(field(info, "Section")).isEqualTo("net");
        assertThat(field(info, "Description")).isNotBlank();
        assertThat(dpkgDeb("--field", role, "Installed-Size")).matches("\\d+\\s*");
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void containsTheJarTheLauncherTheUnitAndTheEnvFileWhichIsItsOnlyConffile(Role role) {
        List<String> contents = dpkgDeb("--contents", role).lines().toList();

        assertThat(entry(contents, role.jarPath())).startsWith("-rw-r--r-- root/root");
        assertThat(entry(contents, "usr/share/edge-manifest/" + role.name + "/jvm.options")).startsWith("-rw-r--r--");
        assertThat(entry(contents, role.launcherPath())).startsWith("-rwxr-xr-x root/root");
        assertThat(entry(contents, role.unitPath())).startsWith("-rw-r--r-- root/root");
        assertThat(entry(contents, role.envPath())).startsWith("-rw-r--r-- root/root");
        assertThat(entry(contents, "usr/share/doc/" + role.packageName() + "/copyright")).isNotNull();
        // No state, log or token file is shipped: systemd and the operator create those.
        assertThat(contents).noneMatch(l -> l.contains("./var/") || l.contains(".token") || l.contains(".log"));

        Command.Result conffiles = Command.run(List.of("dpkg-deb", "--info", Packages.deb(role).toString(), "conffiles"));
        assertThat(conffiles.exitCode()).as(conffiles.output()).isZero();
        assertThat(conffiles.output().lines().toList()).containsExactly("/" + role.envPath());

        Command.Result scripts = Command.run(List.of("dpkg-deb", "--info", Packages.deb(role).toString()));
        assertThat(scripts.output()).contains("postinst", "prerm", "postrm");
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void theChangelogNamesThePackageVersion(Role role) throws IOException {
        Path changelog = Packages.unpack(role, tmp).resolve("usr/share/doc/" + role.packageName() + "/changelog.gz");
        try (var in = new java.util.zip.GZIPInputStream(Files.newInputStream(changelog))) {
            String first = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines().findFirst().orElse("");
            assertThat(first).startsWith("edge-manifest (" + Packages.debianVersion() + ") ");
        }
    }

    @ParameterizedTest
    @EnumSource(Role.class)
    void theEnvFileDocumentsEveryEdgeVariableTheProgramReadsAndReferencesTokensByPathOnly(Role role) throws IOException {
        Path tree = Packages.unpack(role, tmp);
        List<String> env = Packages.lines(tree.resolve(role.envPath()));

        Set<String> documented = new TreeSet<>();
        for (String line : env) {
            Matcher m = Pattern.compile("^#?(EDGE_[A-Z_]+)=").matcher(line);
            if (m.find()) {
                documented.add(m.group(1));
            }
        }
        assertThat(documented).containsAll(variablesReadBy(role));
        // systemd's EnvironmentFile= syntax: comments and VARIABLE=value, nothing a shell would need.
        assertThat(env).filteredOn(l -> !l.isBlank() && !l.startsWith("#"))
                .allMatch(l -> l.matches("[A-Z_]+=.*"), "VARIABLE=value lines only");
        // Active settings never carry a secret: the token is referenced by its file.
        assertThat(env).noneMatch(l -> l.startsWith("EDGE_TOKEN=") || l.startsWith("EDGE_DB_PASSWORD="));
        if (role != Role.HOST_AGENT) {
            assertThat(env).contains("EDGE_TOKEN_FILE=/etc/edge-manifest/" + role.name + ".token");
        } else {
            // An enrolled host uses the token enrolment stored in its state dir; a token file would exclude --enrol.
            assertThat(env).noneMatch(l -> l.startsWith("EDGE_TOKEN_FILE="));
        }
    }

    /**
     * apt's own resolver, on an empty world (no installed package, no archive: only the local
     * .debs given), accepts a runtime that provides only the versioned {@code java-runtime-headless
     * (= 25)} — what Debian's openjdk-25-jre-headless provides, without the old
     * {@code java21-runtime-headless} name — and refuses a Java 17 one.
     */
    @ParameterizedTest
    @EnumSource(value = Role.class, names = {"HOST_AGENT", "GATEWAY"})
    void aptInstallsItBesideAJava25RuntimeAndRefusesAJava17Only(Role role) throws IOException {
        Path adduser = standIn("adduser", "3.134", null);
        Path java25 = standIn("openjdk-25-jre-headless", "25.0.1+8-1", "java-runtime-headless (= 25)");
        Path java17 = standIn("openjdk-17-jre-headless", "17.0.15+6-1", "java-runtime-headless (= 17), java8-runtime-headless");

        Command.Result with25 = aptSimulate(adduser, java25, Packages.deb(role));
        assertThat(with25.exitCode()).as(with25.output()).isZero();
        assertThat(with25.output()).contains("Inst " + role.packageName() + " ", "Inst openjdk-25-jre-headless ");

        Command.Result with17 = aptSimulate(adduser, java17, Packages.deb(role));
        assertThat(with17.exitCode()).as(with17.output()).isNotZero();
        assertThat(with17.output()).contains("unmet dependencies").contains("default-jre-headless (>= 2:1.21)");
    }

    /** An empty package with a name, a version and an optional Provides line, built by dpkg-deb. */
    private Path standIn(String name, String version, String provides) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("stand-in-" + name).resolve("DEBIAN"));
        Files.writeString(dir.resolve("control"), "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\n"
                + "Maintainer: Edge Manifest tests <tests@localhost>\n" + (provides == null ? "" : "Provides: " + provides + "\n")
                + "Description: stand-in for the Debian package of that name\n");
        Path deb = tmp.resolve(name + ".deb");
        Command.Result built = Command.run(List.of("dpkg-deb", "--build", "--root-owner-group", dir.getParent().toString(), deb.toString()));
        assertThat(built.exitCode()).as(built.output()).isZero();
        return deb;
    }

    /** {@code apt-get install -s} of local .debs against an empty status file and no package lists. */
    private Command.Result aptSimulate(Path... debs) throws IOException {
        Path world = Files.createDirectories(tmp.resolve("apt-world-" + System.nanoTime()));
        Files.createDirectories(world.resolve("lists/partial"));
        Files.createDirectories(world.resolve("cache/archives/partial"));
        Path status = Files.writeString(world.resolve("status"), "");
        List<String> command = new ArrayList<>(List.of("apt-get", "install", "-s", "-q", "--no-install-recommends",
                "-o", "Dir::State::status=" + status, "-o", "Dir::State::Lists=" + world.resolve("lists"),
                "-o", "Dir::Cache=" + world.resolve("cache"), "-o", "Dir::Etc::SourceList=/dev/null",
                "-o", "Dir::Etc::SourceParts=" + world.resolve("no-parts"), "-o", "Debug::NoLocking=1"));
        for (Path deb : debs) {
            command.add(deb.toAbsolutePath().toString());
        }
        return Command.run(command);
    }

    /** Every EDGE_* variable in the role's sources and in the shared options its command mixes in. */
    private static Set<String> variablesReadBy(Role role) throws IOException {
        Path root = Packages.projectRoot();
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root.resolve(role.name).resolve("src/main/java"))) {
            files.filter(f -> f.toString().endsWith(".java")).forEach(sources::add);
        }
        sources.add(root.resolve(Role.TOKEN_OPTIONS));
        role.sharedOptionSources.forEach(s -> sources.add(root.resolve(s)));
        Set<String> variables = new TreeSet<>();
        for (Path source : sources) {
            Matcher m = ENV_VARIABLE.matcher(Files.readString(source));
            while (m.find()) {
                variables.add(m.group(1));
            }
        }
        assertThat(variables).as("the sources of " + role.name).contains("EDGE_TOKEN_FILE", "EDGE_CONSUL");
        return variables;
    }

    private static String dpkgDeb(String option, Role role, String... more) {
        List<String> command = new ArrayList<>(List.of("dpkg-deb", option, Packages.deb(role).toString()));
        command.addAll(List.of(more));
        Command.Result result = Command.run(command);
        assertThat(result.exitCode()).as(result.output()).isZero();
        return result.output();
    }

    /** A control field of {@code dpkg-deb --info} output (its first line). */
    private static String field(String info, String name) {
        return info.lines().map(String::strip).filter(l -> l.startsWith(name + ": ")).findFirst()
                .map(l -> l.substring(name.length() + 2)).orElseThrow(() -> new AssertionError("no " + name + " in\n" + info));
    }

    /** The {@code --contents} line of a file, by its path in the package. */
    private static String entry(List<String> contents, String path) {
        return contents.stream().filter(l -> l.endsWith(" ./" + path)).findFirst()
                .orElseThrow(() -> new AssertionError("no ./" + path + " in\n" + String.join("\n", contents)));
    }
}
