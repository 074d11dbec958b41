package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ScopesTest {

    @Test
    void theWorstCheckWinsAndMaintenanceOrAnythingUnknownCountsAsCritical() {
        assertThat(Scopes.worse("passing", "passing")).isEqualTo("passing");
        assertThat(Scopes.worse("passing", "warning")).isEqualTo("warning");
        assertThat(Scopes.worse("critical", "warning")).isEqualTo("critical");
        assertThat(Scopes.worse("passing", "maintenance")).isEqualTo("critical");
        assertThat(Scopes.worse("warning", null)).isEqualTo("critical");
    }
}
