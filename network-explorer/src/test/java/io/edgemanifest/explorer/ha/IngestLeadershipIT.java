package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.explorer.Explorer;
import io.edgemanifest.explorer.TestStores;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.FreePorts;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The lease loop itself (no Explorer processes): two {@link IngestLeadership}s on one real Consul,
 * each with its own view of the store.
 */
class IngestLeadershipIT {

    private static final HaConfig HA = new HaConfig(true, "explorer/lock-it", Duration.ofSeconds(3));

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.single();

    private static EmbeddedPostgres postgres;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("CREATE DATABASE leadership");
        }
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    /** Leads recorded by a listener. */
    private static final class Leads implements IngestLeadership.Listener {
        final List<Long> epochs = new CopyOnWriteArrayList<>();

        @Override
        public void lead(long epoch) {
            epochs.add(epoch);
        }

        @Override
        public void standBy(String why) {
        }
    }

    private IngestLeadership leadership(String id, javax.sql.DataSource store, Leads leads) {
        ConsulEndpoint endpoint = ConsulEndpoint.parse(consul.agent().httpUrl(), null);
        IngestLeadership l = new IngestLeadership(HA, endpoint, id, "{\"instance\":\"" + id + "\"}",
                new IngestEpoch(store, true, Duration.ofSeconds(1)), fence -> { }, leads, new SimpleMeterRegistry());
        closeables.add(l);
        return l.start();
    }

    @Test
    void anExplorerThatCannotReachTheStoreGivesTheLockBackToOneThatCan() throws Exception {
        // The first Explorer's store is unreachable (nothing listens there): it takes the lock, its claim fails.
        PGSimpleDataSource unreachable = new PGSimpleDataSource();
        unreachable.setUrl("jdbc:postgresql://127.0.0.1:" + FreePorts.next() + "/leadership");
        unreachable.setUser("postgres");
        unreachable.setConnectTimeout(1);
        Leads cut = new Leads();
        IngestLeadership first = leadership("explorer-cut-off", unreachable, cut);
        Consul reader = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> reader.keyValueClient().getValue(HA.lockKey())
                    .map(v -> v.getLockIndex() >= 1).orElse(false));

            // The second reaches the store: it must end up ingesting, not wait behind a lock nobody uses.
            JdbcDeviceStore store = JdbcDeviceStore.open(new StoreConfig(postgres.getJdbcUrl("postgres", "leadership"),
                    "postgres", "postgres", null));
            closeables.add(store);
            Leads reaching = new Leads();
            IngestLeadership second = leadership("explorer-reaching", store.dataSource(), reaching);
            await().atMost(Duration.ofSeconds(30)).until(second::leading);
            await().atMost(Duration.ofSeconds(10)).until(() -> reaching.epochs.size() == 1);
            assertThat(first.leading()).isFalse();
            assertThat(cut.epochs).isEmpty();
            assertThat(reader.keyValueClient().getValue(HA.lockKey()).orElseThrow().getValueAsString().orElse(""))
                    .contains("explorer-reaching");
        } finally {
            reader.destroy();
        }
    }

    @Test
    void anExplorerIngestingAloneRefreshesAvailabilityWhenItStartsNotAMinuteLater(@TempDir Path dir) {
        DeviceStore store = TestStores.h2(dir.resolve("solo"));
        Instant hourAgo = Instant.now().minus(Duration.ofHours(1));
        store.apply(List.of(new Change(new Device("host-a", "host", "sg-a", DeviceStatus.ONLINE, hourAgo, hourAgo, hourAgo,
                "{}", null, null, null, null, Map.of()), EventType.ONLINE, hourAgo, "test")));
        Explorer explorer = new Explorer(ConsulEndpoint.parse(consul.agent().httpUrl(), null), store,
                Map.of("host", 0.4, "gateway", 0.99, "stargate", 0.9999), Clock.systemUTC()).start("127.0.0.1", 0);
        closeables.add(explorer); // closes the store
        // belowTarget and sorting by availability read this column: unset (-1), they skip the device.
        await().atMost(Duration.ofSeconds(30)).until(() -> explorer.ingesting()
                && store.availability24h(List.of("host-a")).containsKey("host-a"));
    }
}
