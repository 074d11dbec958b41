package io.edgemanifest.gateway.drain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DrainSecretTest {

    @TempDir
    Path dir;

    @Test
    void theSecretIsWrittenForTheGatewaysUserOnlyAndReadBackByTheDrainCommand() throws Exception {
        DrainSecret secret = DrainSecret.create(dir.resolve("gw"));

        Path file = dir.resolve("gw").resolve(DrainSecret.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String read = DrainSecret.read(dir.resolve("gw"));
        assertThat(read).hasSize(64);
        assertThat(secret.matches(read)).isTrue();
        assertThat(secret.toString()).doesNotContain(read);
    }

    @Test
    void everyStartMakesANewSecretAndTheOldOneNoLongerMatches() {
        DrainSecret first = DrainSecret.create(dir);
        String old = DrainSecret.read(dir);

        DrainSecret second = DrainSecret.create(dir);

        assertThat(second.matches(old)).isFalse();
        assertThat(second.matches(DrainSecret.read(dir))).isTrue();
        assertThat(first.matches(old)).isTrue();
    }

    @Test
    void aMissingOrWrongSecretDoesNotMatch() {
        DrainSecret secret = DrainSecret.of("abc123");

        assertThat(secret.matches(null)).isFalse();
        assertThat(secret.matches("")).isFalse();
        assertThat(secret.matches("abc124")).isFalse();
        assertThat(secret.matches("abc1234")).isFalse();
        assertThat(secret.matches("abc123")).isTrue();
    }

    @Test
    void aStateDirWithoutASecretIsNamed() {
        assertThatThrownBy(() -> DrainSecret.read(dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid --state-dir '" + dir + "': no drain-secret");
    }
}
