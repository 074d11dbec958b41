package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsTest {

    @TempDir
    Path dir;

    private static String hash(BCrypt.Version version, String password) {
        return BCrypt.with(version).hashToString(4, password.toCharArray());
    }

    @Test
    void readsHtpasswdLinesOfEveryBcryptVersionAndSkipsCommentsAndBlankLines() {
        Credentials c = Credentials.parse("users", List.of(
                "# written by htpasswd -B", "",
                "alice:" + hash(BCrypt.Version.VERSION_2Y, "a"),
                "  bob:" + hash(BCrypt.Version.VERSION_2A, "b") + "\r",
                "carol:" + hash(BCrypt.Version.VERSION_2B, "c"),
                // PHP's password_hash() example: crypt_blowfish, the same code htpasswd -B uses.
                "rasmus:$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"));
        assertThat(c.size()).isEqualTo(4);
        assertThat(c.verify("alice", "a")).isTrue();
        assertThat(c.verify("bob", "b")).isTrue();
        assertThat(c.verify("carol", "c")).isTrue();
        assertThat(c.verify("rasmus", "rasmuslerdorf")).isTrue();
        assertThat(c.verify("alice", "b")).isFalse();
        assertThat(c.verify("alice", "")).isFalse();
        assertThat(c.verify("mallory", "a")).isFalse();
        assertThat(c.verify(null, null)).isFalse();
    }

    @Test
    void passwordsBeyond72BytesAreCutAsHtpasswdCutsThem() {
        String long72 = "x".repeat(72);
        Credentials c = Credentials.parse("users", List.of("alice:" + hash(BCrypt.Version.VERSION_2Y, long72)));
        assertThat(c.verify("alice", long72 + "anything")).isTrue();
        assertThat(c.verify("alice", long72.substring(1))).isFalse();
    }

    @Test
    void malformedLinesNameTheFileAndTheLineButNeverTheHash() {
        String good = hash(BCrypt.Version.VERSION_2Y, "a");
        record Case(List<String> lines, String says) {
        }
        for (Case k : List.of(
                new Case(List.of("# c", "alice " + good), "users line 2: expected user:bcrypt-hash"),
                new Case(List.of("alice:" + good, ":" + good), "users line 2: expected user:bcrypt-hash"),
                new Case(List.of("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="), "users line 1: the hash is not bcrypt"),
                new Case(List.of("alice:$apr1$abc$def"), "users line 1: the hash is not bcrypt"),
                new Case(List.of("alice:" + good.substring(0, 40)), "users line 1: the hash is not bcrypt"),
                new Case(List.of("alice:" + good.replace("$04$", "$03$")), "users line 1: bcrypt cost 3"),
                new Case(List.of("alice:" + good, "", "alice:" + good), "users line 3: user 'alice' appears twice"),
                new Case(List.of("# nobody", ""), "no user:bcrypt-hash line"))) {
            assertThatThrownBy(() -> Credentials.parse("users", k.lines())).as(k.says())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(k.says())
                    .hasMessageStartingWith("invalid --auth-file users")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(good.substring(7)).doesNotContain("\n"));
        }
    }

    @Test
    void aMissingFileIsOneLineNamingIt() {
        Path missing = dir.resolve("nope.users");
        assertThatThrownBy(() -> Credentials.load(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot read --auth-file " + missing + ": no such file");
        assertThatThrownBy(() -> CredentialsFile.load(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void anUnknownUserCostsABcryptVerifyLikeAKnownOne() {
        // Cost 12 makes one verify ~100+ ms: an answer without one would show as a gap of that size.
        Credentials c = Credentials.parse("users", List.of("alice:" + BCrypt.with(BCrypt.Version.VERSION_2Y)
                .hashToString(12, "a".toCharArray())));
        c.verify("alice", "warm-up");
        long known = timed(() -> c.verify("alice", "wrong"));
        long unknown = timed(() -> c.verify("nobody-" + System.nanoTime(), "wrong"));
        assertThat(unknown).as("unknown %d ns vs known %d ns", unknown, known).isGreaterThan(known / 2);
    }

    private static long timed(Runnable r) {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            r.run();
            best = Math.min(best, System.nanoTime() - t);
        }
        return best;
    }
}
