package io.edgemanifest.explorer.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.SQLExceptionOverride.Override;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import org.junit.jupiter.api.Test;

class BrokenConnectionOverrideTest {

    private final BrokenConnectionOverride override = new BrokenConnectionOverride();

    @Test
    void aConnectionTheDriverCallsDeadIsEvictedEvenWithAnSqlStateHikariDoesNotKnow() {
        // H2's remote client after its server restarted: state 90121, "Database is already closed".
        SQLException closed = new SQLNonTransientConnectionException("Database is already closed", "90121", 90121);
        assertThat(override.adjudicate(closed)).isEqualTo(Override.MUST_EVICT);
        SQLException wrapped = new SQLException("store read failed", "HY000", closed);
        assertThat(override.adjudicate(wrapped)).isEqualTo(Override.MUST_EVICT);
        SQLException suppressed = new SQLException("rollback failed");
        suppressed.addSuppressed(closed);
        assertThat(override.adjudicate(suppressed)).isEqualTo(Override.MUST_EVICT);
    }

    @Test
    void anyOtherErrorIsLeftToHikarisOwnRules() {
        assertThat(override.adjudicate(new SQLException("duplicate key", "23505"))).isEqualTo(Override.CONTINUE_EVICT);
        assertThat(override.adjudicate(new SQLException("connection reset", "08006"))).isEqualTo(Override.CONTINUE_EVICT);
    }
}
