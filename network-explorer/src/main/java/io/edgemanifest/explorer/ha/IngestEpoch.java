package io.edgemanifest.explorer.ha;

import io.edgemanifest.explorer.store.WriteFence;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The fencing token of ingest, kept in the store itself (table {@code ingest_lease}, one row): an
 * Explorer that starts ingesting raises the epoch ({@link #claim}) and then loads the store; every
 * ingest transaction it runs checks the epoch is still its own ({@link #fence}) just before commit,
 * holding the row until it commits. So a write of a former holder either commits before the next
 * claim (and the next holder loads it) or is refused: never lost, never written twice.
 *
 * <p>Not Consul's index: a Consul restarted empty starts its indexes again from 1, and a token
 * taken from it would be lower than the stored one — every write refused for good.
 */
public final class IngestEpoch {

    /** The epoch and who raised it, as the store has them now. */
    public record Lease(long epoch, String holder) {
    }

    private final DataSource dataSource;
    private final boolean postgres;
    private final Duration lockWait;

    /**
     * @param postgres whether the store is PostgreSQL (timeouts are set per transaction there)
     * @param lockWait how long a claim waits for the row, and how long a PostgreSQL transaction that
     *                 fences may sit idle (its writer frozen mid-batch) before the server ends it and
     *                 frees what it locked — otherwise a frozen former holder blocks its successor
     */
    public IngestEpoch(DataSource dataSource, boolean postgres, Duration lockWait) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.postgres = postgres;
        if (lockWait.toMillis() < 1000) {
            throw new IllegalArgumentException("lock wait must be at least 1s: " + lockWait);
        }
        this.lockWait = lockWait;
    }

    /** Raises the epoch for {@code holder} and returns it. */
    public long claim(String holder) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                limitWaits(c);
                try (PreparedStatement up = c.prepareStatement(
                        "UPDATE ingest_lease SET epoch = epoch + 1, holder = ?, claimed_at = ? WHERE id = 1")) {
                    up.setString(1, truncate(holder));
                    up.setObject(2, Instant.now().atOffset(ZoneOffset.UTC));
                    if (up.executeUpdate() != 1) {
                        throw new IllegalStateException("the store has no ingest_lease row (migration V1.1 missing?)");
                    }
                }
                long epoch = read(c).epoch();
                c.commit();
                return epoch;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("claiming the ingest lease failed: " + e.getMessage(), e);
        }
    }

    /** The lease as stored now. */
    public Lease current() {
        try (Connection c = dataSource.getConnection()) {
            return read(c);
        } catch (SQLException e) {
            throw new IllegalStateException("reading the ingest lease failed: " + e.getMessage(), e);
        }
    }

    /**
     * A fence for the holder of {@code epoch}: every ingest transaction commits only while the
     * stored epoch is still {@code epoch}; {@code onRefused} hears of each refusal (the holder
     * steps down).
     */
    public WriteFence fence(long epoch, Runnable onRefused) {
        return new WriteFence() {
            @Override
            public void begin(Connection c) throws SQLException {
                if (postgres) {
                    // A writer frozen mid-batch must not hold rows its successor needs.
                    try (var st = c.createStatement()) {
                        st.execute("SET LOCAL idle_in_transaction_session_timeout = '" + lockWait.toMillis() + "ms'");
                    }
                }
            }

            @Override
            public void check(Connection c) throws SQLException {
                limitWaits(c);
                // Locks the row until commit: a claim waits for this batch, or this batch sees the claim.
                try (PreparedStatement ps = c.prepareStatement("UPDATE ingest_lease SET epoch = epoch WHERE id = 1 AND epoch = ?")) {
                    ps.setLong(1, epoch);
                    if (ps.executeUpdate() == 1) {
                        return;
                    }
                }
                Lease now = read(c);
                onRefused.run();
                throw new WriteFence.Refused("ingest write refused: this Explorer's epoch " + epoch
                        + " is over, " + now.holder() + " holds epoch " + now.epoch());
            }
        };
    }

    private void limitWaits(Connection c) throws SQLException {
        if (!postgres) {
            return; // an H2 file has one Explorer: nobody to wait for
        }
        try (var st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '" + lockWait.toMillis() + "ms'");
        }
    }

    private static Lease read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch, holder FROM ingest_lease WHERE id = 1");
             ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new IllegalStateException("the store has no ingest_lease row (migration V1.1 missing?)");
            }
            return new Lease(rs.getLong(1), rs.getString(2));
        }
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 200 ? s : s.substring(0, 200);
    }
}
