package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.enrol.HostEnrolment;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Enrolment flags refused before anything is dialled: one line naming the problem, exit 2, no token written. */
class HostAgentEnrolFlagsTest {

    @TempDir
    Path dir;

    private record Run(int code, String err) {
    }

    private Run run(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new HostAgentMain());
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        return new Run(cli.execute(args), err.toString());
    }

    private void assertRefused(Run run, String... fragments) {
        assertThat(run.code()).isEqualTo(Cli.USAGE);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains(fragments).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(dir.resolve("state").resolve(HostEnrolment.TOKEN_FILE)).doesNotExist();
    }

    @Test
    void aMalformedJoinTokenIsOneLineAndExit2() throws Exception {
        Path join = Files.writeString(dir.resolve("join"), "edge1.not-a-token\n");
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1",
                "--join-token-file", join.toString()), join.toString(), "malformed");
    }

    @Test
    void anOversizedJoinTokenFileIsRefusedUnread() throws Exception {
        Path join = Files.write(dir.resolve("join"), new byte[100_000]);
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1",
                "--join-token-file", join.toString()), "100000 bytes");
    }

    @Test
    void aMissingJoinTokenFileIsNamed() {
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1",
                "--join-token-file", dir.resolve("nope").toString()), "nope", "does not exist");
    }

    @Test
    void enrolNeedsAJoinTokenFile() {
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1"), "--join-token-file");
    }

    @Test
    void aBadEnrolAddressIsNamed() {
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "stargate"), "--enrol", "'stargate'");
    }

    @Test
    void aJoinTokenFileWithoutEnrolIsRefused() throws Exception {
        Path join = Files.writeString(dir.resolve("join"), "x");
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--join-token-file", join.toString()), "--enrol");
    }

    @Test
    void enrolAndAnOperatorsTokenExcludeEachOther() throws Exception {
        Path token = Files.writeString(dir.resolve("token"), "5f1c2a44-1d0e-4f6b-9a35-0c4c9e2b7d11\n");
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1",
                "--token-file", token.toString(), "--join-token-file", token.toString()), "exclude");
    }

    @Test
    void anUnreachableStargateIsOneLineAndExit1NotABadFlag() throws Exception {
        Path join = Files.writeString(dir.resolve("join"),
                "edge1.0123456789abcdef.abcdefghijklmnopqrstuvwxyz." + "ab".repeat(32) + "\n");
        Run run = run("--state-dir", dir.resolve("state").toString(), "--enrol", "127.0.0.1:1",
                "--join-token-file", join.toString());
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).contains("no answer from stargate at 127.0.0.1:1").doesNotContain("abcdefghijklmnopqrstuvwxyz");
        assertThat(dir.resolve("state").resolve(HostEnrolment.TOKEN_FILE)).doesNotExist();
    }

    @Test
    void aTooShortRotationIntervalIsRefused() {
        assertRefused(run("--state-dir", dir.resolve("state").toString(), "--rotate-every", "5s"), "--rotate-every", "'5s'");
    }
}
