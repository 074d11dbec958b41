package io.edgemanifest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgemanifest.core.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class GatewayMainTest {

    private static Gateway.GatewayConfig parse(String... args) {
        GatewayMain main = new GatewayMain();
        Cli.commandLine(main).parseArgs(args);
        return main.config();
    }

    @Test
    void drainTimeoutDefaultsToSixtySecondsAndIsTakenFromTheFlag() {
        assertThat(parse("--state-dir", "/tmp/gw").drainTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(parse("--state-dir", "/tmp/gw", "--drain-timeout", "15s").drainTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(parse("--state-dir", "/tmp/gw", "--drain-timeout", "0s").drainTimeout()).isZero();
    }

    @Test
    void aDrainTimeoutOutOfRangeIsNamed() {
        assertThatThrownBy(() -> parse("--state-dir", "/tmp/gw", "--drain-timeout", "90m"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("invalid --drain-timeout '90m' (0s to 1h)");
        assertThatThrownBy(() -> parse("--state-dir", "/tmp/gw", "--drain-timeout", "PT-5S"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--drain-timeout");
    }

    @Test
    void anUnparsableDrainTimeoutIsOneLineNamingItWithExitCodeTwo() {
        StringWriter err = new StringWriter();
        var cli = Cli.commandLine(new GatewayMain());
        cli.setErr(new PrintWriter(err));

        int code = cli.execute("--state-dir", "/tmp/gw", "--drain-timeout", "soon");

        assertThat(code).isEqualTo(Cli.USAGE);
        assertThat(err.toString().strip()).doesNotContain("\n").contains("soon").contains("--drain-timeout");
    }

    @Test
    void drainNeedsAnAddressAndNamesABadOne() {
        StringWriter err = new StringWriter();
        var cli = Cli.commandLine(new GatewayMain());
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("drain", "--address", "no-port")).isEqualTo(Cli.USAGE);
        assertThat(err.toString().strip()).doesNotContain("\n").contains("no-port");
    }

    @Test
    void drainWithAStateDirHoldingNoSecretIsOneLineNamingItWithExitCodeTwo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        StringWriter err = new StringWriter();
        var cli = Cli.commandLine(new GatewayMain());
        cli.setErr(new PrintWriter(err));

        assertThat(cli.execute("drain", "--address", "127.0.0.1:7100", "--state-dir", dir.toString())).isEqualTo(Cli.USAGE);
        assertThat(err.toString().strip()).doesNotContain("\n").contains(dir.toString()).contains("no drain-secret");
    }
}
