package io.edgemanifest.core.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTest {

    @TempDir
    Path dir;

    @Test
    void createsAKindPrefixedUuidOnce() {
        String id = NodeIdentity.loadOrCreate(dir, NodeKind.HOST);
        assertThat(id).matches("host-[0-9a-f-]{36}");
        assertThat(NodeIdentity.loadOrCreate(dir, NodeKind.HOST)).isEqualTo(id);
    }

    @Test
    void differentStateDirsGiveDifferentIds() {
        assertThat(NodeIdentity.loadOrCreate(dir.resolve("a"), NodeKind.GATEWAY))
                .isNotEqualTo(NodeIdentity.loadOrCreate(dir.resolve("b"), NodeKind.GATEWAY));
    }

    @Test
    void refusesAStateDirHoldingAnotherKindsId() {
        NodeIdentity.loadOrCreate(dir, NodeKind.GATEWAY);
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, NodeKind.HOST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(dir.toString());
    }

    @Test
    void refusesACorruptIdFile() throws Exception {
        Files.writeString(dir.resolve(NodeIdentity.FILE), "garbage");
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(dir, NodeKind.HOST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("garbage");
    }

    @Test
    void refusesAStateDirThatIsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> NodeIdentity.loadOrCreate(file, NodeKind.HOST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not usable");
    }

    @Test
    void leavesNoTemporaryFilesBehind() throws Exception {
        NodeIdentity.loadOrCreate(dir, NodeKind.STARGATE);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(NodeIdentity.FILE);
        }
    }
}
