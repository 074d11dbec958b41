package io.edgemanifest.core.enrol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JoinTokenTest {

    private static final String PIN = "ab".repeat(32);
    private static final String SECRET = "abcdefghijklmnopqrstuvwxyz";
    private static final String GOOD = "edge1.0123456789abcdef." + SECRET + "." + PIN;

    @Test
    void parsesItsOwnText() {
        JoinToken token = JoinToken.parse(GOOD + "\n");
        assertThat(token.id()).isEqualTo("0123456789abcdef");
        assertThat(token.secret()).isEqualTo(SECRET);
        assertThat(token.caPin()).isEqualTo(PIN);
        assertThat(token.text()).isEqualTo(GOOD);
    }

    @Test
    void generatedTokensRoundTripAndDiffer() {
        SecureRandom random = new SecureRandom();
        JoinToken a = JoinToken.generate(PIN, random);
        JoinToken b = JoinToken.generate(PIN, random);
        assertThat(JoinToken.parse(a.text())).isEqualTo(a);
        assertThat(a.id()).isNotEqualTo(b.id());
        assertThat(a.secret()).isNotEqualTo(b.secret());
        // 26 base32 characters: 130 bits.
        assertThat(a.secret()).hasSize(26);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",
            "edge1",
            "edge2.0123456789abcdef.abcdefghijklmnopqrstuvwxyz.abababababababababababababababababababababababababababababababab",
            "edge1.0123456789ABCDEF.abcdefghijklmnopqrstuvwxyz.abababababababababababababababababababababababababababababababab",
            "edge1.0123456789abcde.abcdefghijklmnopqrstuvwxyz.abababababababababababababababababababababababababababababababab",
            "edge1.0123456789abcdef.abcdefghijklmnopqrstuvwxy1.abababababababababababababababababababababababababababababababab",
            "edge1.0123456789abcdef.abcdefghijklmnopqrstuvwxyz.abab",
            "edge1.0123456789abcdef.abcdefghijklmnopqrstuvwxyz.abababababababababababababababababababababababababababababababab.x",
            "edge1..abcdefghijklmnopqrstuvwxyz.abababababababababababababababababababababababababababababababab",
    })
    void refusesMalformedTokens(String text) {
        assertThatThrownBy(() -> JoinToken.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("join token");
    }

    @Test
    void neverEchoesTheSecretInAnError() {
        String wrongSecret = "edge1.0123456789abcdef.SECRETSECRETSECRETSECRET99." + PIN;
        assertThatThrownBy(() -> JoinToken.parse(wrongSecret)).isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("SECRETSECRET"));
        assertThat(JoinToken.parse(GOOD).toString()).doesNotContain(SECRET);
    }

    @Test
    void refusesOversizedTextBeforeParsing() {
        String huge = GOOD + " ".repeat(JoinToken.MAX_LENGTH);
        assertThatThrownBy(() -> JoinToken.parse(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("more than " + JoinToken.MAX_LENGTH);
    }

    @Test
    void readsAFileAndRefusesAnOversizedOne(@TempDir Path dir) throws Exception {
        Path good = Files.writeString(dir.resolve("join"), GOOD + "\n");
        assertThat(JoinToken.readFile(good).text()).isEqualTo(GOOD);
        Path big = Files.write(dir.resolve("big"), new byte[1_000_000]);
        assertThatThrownBy(() -> JoinToken.readFile(big)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(big.toString()).hasMessageContaining("1000000 bytes");
        assertThatThrownBy(() -> JoinToken.readFile(dir.resolve("missing"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not exist");
        Path wrong = Files.writeString(dir.resolve("wrong"), "hello\n");
        assertThatThrownBy(() -> JoinToken.readFile(wrong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(wrong.toString()).hasMessageContaining("malformed");
    }

    @Test
    void secretsAreComparedByHash() {
        String hash = JoinToken.hash(SECRET);
        assertThat(hash).hasSize(64).doesNotContain(SECRET);
        assertThat(JoinToken.secretMatches(SECRET, hash)).isTrue();
        assertThat(JoinToken.secretMatches("abcdefghijklmnopqrstuvwxy2", hash)).isFalse();
        assertThat(JoinToken.secretMatches(SECRET, "not hex")).isFalse();
        assertThat(JoinToken.secretMatches(null, hash)).isFalse();
    }
}
