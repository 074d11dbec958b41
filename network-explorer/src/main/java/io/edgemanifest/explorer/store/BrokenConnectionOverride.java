package io.edgemanifest.explorer.store;

import com.zaxxer.hikari.SQLExceptionOverride;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;

/**
 * Tells the pool to throw away a connection the driver calls dead for good. Hikari evicts on the
 * SQL states it knows (08xxx); H2's remote client answers a connection whose server went away and
 * came back with error 90121 "Database is already closed" (SQL state 90121): kept in the pool, such
 * a connection failed every request for as long as the API was busy, because a connection used
 * within the last 500 ms is not validated (ExplorerFaultIT, H2 server killed and restarted).
 */
public final class BrokenConnectionOverride implements SQLExceptionOverride {

    @java.lang.Override
    public Override adjudicate(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLNonTransientConnectionException) {
                return Override.MUST_EVICT;
            }
            for (Throwable s : t.getSuppressed()) {
                if (s instanceof SQLNonTransientConnectionException) {
                    return Override.MUST_EVICT;
                }
            }
        }
        return Override.CONTINUE_EVICT;
    }
}
