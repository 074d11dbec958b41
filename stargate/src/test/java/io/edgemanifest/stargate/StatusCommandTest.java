package io.edgemanifest.stargate;

import io.edgemanifest.core.enrol.HostPort;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class StatusCommandTest {

    @ParameterizedTest
    @CsvSource({"127.0.0.1:7400,127.0.0.1,7400", "stargate.local:1,stargate.local,1", "[::1]:65535,::1,65535"})
    void parsesHostAndPort(String text, String host, int port) {
        assertThat(HostPort.parse(text, "--address")).isEqualTo(new HostPort(host, port));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "nope", "127.0.0.1", "127.0.0.1:", ":7400", "127.0.0.1:0", "127.0.0.1:65536",
            "127.0.0.1:http", "::1:7400", "[]:7400"})
    void rejectsAnythingElseNamingTheValue(String text) {
        assertThatThrownBy(() -> HostPort.parse(text, "--address"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }
}
