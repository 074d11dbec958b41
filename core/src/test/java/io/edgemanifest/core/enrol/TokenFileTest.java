package io.edgemanifest.core.enrol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileTest {

    private static final String TOKEN = "5f1c2a44-1d0e-4f6b-9a35-0c4c9e2b7d11";

    @Test
    void writesOwnerOnlyAndReadsBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state/consul-token");
        TokenFile.write(file, TOKEN);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(TokenFile.read(file)).contains(TOKEN);
        assertThat(TokenFile.isExposed(file)).isFalse();
    }

    @Test
    void replacesAnExistingFileAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("consul-token");
        TokenFile.write(file, TOKEN);
        TokenFile.write(file, "second-token");
        assertThat(TokenFile.read(file)).contains("second-token");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void tightensAFileThatWasWorldReadable(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("consul-token"), "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(TokenFile.isExposed(file)).isTrue();
        TokenFile.write(file, TOKEN);
        assertThat(TokenFile.isExposed(file)).isFalse();
    }

    @Test
    void aMissingFileIsEmpty(@TempDir Path dir) {
        assertThat(TokenFile.read(dir.resolve("none"))).isEmpty();
    }

    @Test
    void refusesOversizedEmptyOrMultiWordFilesWithoutEchoingThem(@TempDir Path dir) throws Exception {
        Path big = Files.write(dir.resolve("big"), new byte[TokenFile.MAX_BYTES + 1]);
        assertThatThrownBy(() -> TokenFile.read(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(big.toString());
        Path empty = Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> TokenFile.read(empty)).isInstanceOf(IllegalArgumentException.class);
        Path words = Files.writeString(dir.resolve("words"), "secret words here");
        assertThatThrownBy(() -> TokenFile.read(words)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret words"));
    }

    @Test
    void refusesToWriteSomethingThatIsNotAToken(@TempDir Path dir) {
        assertThatThrownBy(() -> TokenFile.write(dir.resolve("t"), "two words"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(dir.resolve("t")).doesNotExist();
    }
}
