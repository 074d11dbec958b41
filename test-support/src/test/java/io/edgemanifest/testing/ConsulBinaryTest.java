package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsulBinaryTest {

    @Test
    void parsesTheVersionLineOfConsulVersion() {
        String out = "Consul v1.8.7\nProtocol 2 spoken by default, understands 2 to 3\n";
        assertThat(ConsulBinary.parseVersion(out)).contains(new ConsulBinary.Version(1, 8, 7));
    }

    @Test
    void rejectsOutputWithoutAVersion() {
        assertThat(ConsulBinary.parseVersion("command not found")).isEmpty();
    }

    @Test
    void comparesVersionsByMajorThenMinor() {
        assertThat(new ConsulBinary.Version(1, 8, 0).atLeast(1, 8)).isTrue();
        assertThat(new ConsulBinary.Version(1, 7, 99).atLeast(1, 8)).isFalse();
        assertThat(new ConsulBinary.Version(2, 0, 0).atLeast(1, 8)).isTrue();
    }

    @Test
    void findsTheProjectLocalBinaryFromASubdirectory(@TempDir Path root) throws Exception {
        Path bin = root.resolve(ConsulBinary.PROJECT_LOCAL);
        Files.createDirectories(bin.getParent());
        Files.writeString(bin, "#!/bin/sh\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path module = Files.createDirectories(root.resolve("core/target"));

        assertThat(ConsulBinary.projectLocal(module)).contains(bin.toAbsolutePath());
    }

    @Test
    void findsNothingWhenNoParentHasTheBinary(@TempDir Path root) {
        assertThat(ConsulBinary.projectLocal(root)).isEmpty();
    }
}
