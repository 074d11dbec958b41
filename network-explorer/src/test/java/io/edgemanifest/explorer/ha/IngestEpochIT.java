package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.explorer.store.WriteFence;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The store's fencing token on a real PostgreSQL server: two Explorers' stores over one database,
 * as two processes would have them.
 */
class IngestEpochIT {

    private static final Duration LOCK_WAIT = Duration.ofSeconds(1);
    private static EmbeddedPostgres postgres;
    private static int databases;
    private JdbcDeviceStore first;
    private JdbcDeviceStore second;
    private String url;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @BeforeEach
    void open() throws SQLException {
        String db = "epoch" + (++databases);
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("CREATE DATABASE " + db);
        }
        url = postgres.getJdbcUrl("postgres", db);
        first = JdbcDeviceStore.open(new StoreConfig(url, "postgres", "postgres", null));
        second = JdbcDeviceStore.open(new StoreConfig(url, "postgres", "postgres", null));
    }

    @AfterEach
    void close() {
        first.close();
        second.close();
    }

    private static Change online(String id) {
        Instant now = Instant.now();
        return new Change(new Device(id, "host", "sg-a", DeviceStatus.ONLINE, now, now, now, "{}", null, null, null, null,
                Map.of()), EventType.ONLINE, now, "test");
    }

    private static IngestEpoch epoch(JdbcDeviceStore store) {
        return new IngestEpoch(store.dataSource(), true, LOCK_WAIT);
    }

    @Test
    void aFormerHoldersWriteIsRefusedAndTheHoldersCommits() {
        IngestEpoch a = epoch(first);
        IngestEpoch b = epoch(second);
        AtomicInteger refusals = new AtomicInteger();
        long epochA = a.claim("explorer-a");
        first.fence(a.fence(epochA, refusals::incrementAndGet));
        first.apply(List.of(online("host-a1")));

        long epochB = b.claim("explorer-b");
        second.fence(b.fence(epochB, () -> { }));

        assertThat(epochB).isGreaterThan(epochA);
        assertThatThrownBy(() -> first.apply(List.of(online("host-a2"))))
                .isInstanceOf(WriteFence.Refused.class).hasMessageContaining("explorer-b");
        assertThat(refusals).hasValue(1);
        second.apply(List.of(online("host-b1")));

        assertThat(second.find("host-a1")).isPresent(); // committed before the claim: the new holder has it
        assertThat(second.find("host-a2")).isEmpty();   // after it: refused, rolled back whole
        assertThat(second.events("host-a2", null, 10)).isEmpty();
        assertThat(second.find("host-b1")).isPresent();
        assertThat(b.current()).isEqualTo(new IngestEpoch.Lease(epochB, "explorer-b"));
    }

    @Test
    void aClaimWaitsForTheBatchInFlightWhichThenCommitsBeforeIt() throws Exception {
        IngestEpoch a = epoch(first);
        long epochA = a.claim("explorer-a");
        WriteFence fence = a.fence(epochA, () -> { });
        try (Connection batch = first.dataSource().getConnection()) {
            batch.setAutoCommit(false);
            fence.begin(batch);
            fence.check(batch); // the former holder's batch passed its fence and holds the lease row
            CompletableFuture<Long> claim = CompletableFuture.supplyAsync(() -> epoch(second).claim("explorer-b"));
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1)).until(() -> !claim.isDone());
            batch.commit();
            assertThat(claim.get()).isEqualTo(epochA + 1);
        }
    }

    @Test
    void aHolderFrozenMidBatchDoesNotBlockItsSuccessor() throws Exception {
        IngestEpoch a = epoch(first);
        first.apply(List.of(online("host-x")));
        long epochA = a.claim("explorer-a");
        WriteFence fence = a.fence(epochA, () -> { });
        Connection frozen = first.dataSource().getConnection();
        try {
            frozen.setAutoCommit(false);
            fence.begin(frozen);
            frozen.createStatement().executeUpdate("UPDATE devices SET status='OFFLINE' WHERE id='host-x'");
            // ... and its writer stops here (SIGSTOP): the row stays locked until PostgreSQL ends the
            // idle transaction, after the lock wait.
            IngestEpoch b = epoch(second);
            long epochB = b.claim("explorer-b");
            second.fence(b.fence(epochB, () -> { }));
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> second.apply(List.of(online("host-x"))));
            assertThatThrownBy(() -> frozen.createStatement().executeUpdate("UPDATE devices SET status='UNKNOWN' WHERE id='host-x'"))
                    .isInstanceOf(SQLException.class);
        } finally {
            try {
                frozen.close();
            } catch (SQLException e) {
                // ended by the server
            }
        }
        assertThat(second.find("host-x").orElseThrow().status()).isEqualTo(DeviceStatus.ONLINE);
    }

    @Test
    void aClaimThatCannotGetTheRowGivesUpAfterTheLockWait() throws Exception {
        IngestEpoch a = epoch(first);
        long epochA = a.claim("explorer-a");
        try (Connection holder = first.dataSource().getConnection()) {
            holder.setAutoCommit(false);
            holder.createStatement().executeUpdate("UPDATE ingest_lease SET epoch = epoch WHERE id = 1");
            assertThatThrownBy(() -> epoch(second).claim("explorer-b")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("lock timeout");
            holder.rollback();
        }
        assertThat(a.current().epoch()).isEqualTo(epochA);
    }
}
