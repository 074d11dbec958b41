package io.edgemanifest.explorer.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Runs inside every ingest transaction of {@link JdbcDeviceStore#apply}: {@link #begin} after it
 * opens, {@link #check} just before it commits. Throwing {@link Refused} rolls the batch back. The
 * Explorer's ingest lease (explorer.ha) uses it so that only the current holder's writes commit.
 */
public interface WriteFence {

    /** No fence: every write commits (a store used alone, as in tests). */
    WriteFence NONE = c -> { };

    /** Every write is refused: an Explorer that is not the ingest holder never writes. */
    WriteFence CLOSED = c -> {
        throw new Refused("this Explorer does not hold the ingest lease");
    };

    /** Called once the transaction is open, before anything is written. */
    default void begin(Connection c) throws SQLException {
    }

    /** Called before commit, in the same transaction; throws {@link Refused} to roll it back. */
    void check(Connection c) throws SQLException;

    /** A write refused by the fence: its writer is no longer the one allowed to write. */
    final class Refused extends IllegalStateException {
        public Refused(String message) {
            super(message);
        }
    }
}
