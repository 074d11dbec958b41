package io.edgemanifest.explorer.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    @Test
    void aNewIngestDoesNotTakeAFrozenReplicaForLiveBeforeReplicateBeats(@TempDir Path dir) throws Exception {
        String dc = "sg-frozen";
        String id = "host-" + java.util.UUID.randomUUID();
        Path file = dir.resolve("frozen");
        Consul kv = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();
        AtomicInteger beat = new AtomicInteger();
        Runnable beatOnce = () -> kv.keyValueClient().putValue("replicate/status/" + dc,
                "{\"state\":\"ok\",\"beat\":\"b" + beat.incrementAndGet() + "\"}");
        try {
            beatOnce.run();
            kv.keyValueClient().putValue("replica/" + dc + "/kv/" + NodeKind.HOST.keyOf(id),
                    NodeRecords.toJson(NodeRecord.of(id, NodeKind.HOST, "1.0")));
            kv.keyValueClient().putValue("replica/" + dc + "/services/" + id, "{\"service\":\"" + id + "\",\"id\":\"" + id
                    + "\",\"datacenter\":\"" + dc + "\",\"tags\":[\"host\"],\"status\":\"passing\"}");
            ScheduledFuture<?> beating = beats.scheduleWithFixedDelay(beatOnce, 0, 500, TimeUnit.MILLISECONDS);

            // The first ingest sees the host online, then replicate dies: the replica freezes as it was.
            Explorer first = silenceExplorer(file);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> events(first, id).equals(List.of("ONLINE")));
                beating.cancel(false);
                await().atMost(Duration.ofSeconds(30)).until(() -> events(first, id).equals(List.of("ONLINE", "UNKNOWN")));
            } finally {
                first.close();
            }

            // A new ingest (a restart; an HA hand-over builds one the same way) finds the frozen
            // replica, its last beat and a passing service: that is no sign of life.
            Explorer second = silenceExplorer(file);
            closeables.add(second);
            await().atMost(Duration.ofSeconds(30)).until(second::ingesting);
            await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(events(second, id)).as("no ONLINE from a frozen replica").containsExactly("ONLINE", "UNKNOWN"));

            // replicate beats again: now the replica is live, and the host is online.
            beats.scheduleWithFixedDelay(beatOnce, 0, 500, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(30)).until(() -> events(second, id).equals(List.of("ONLINE", "UNKNOWN", "ONLINE")));
        } finally {
            beats.shutdownNow();
            kv.destroy();
        }
    }

    private static Explorer silenceExplorer(Path file) {
        return new Explorer(ConsulEndpoint.parse(consul.agent().httpUrl(), null), TestStores.h2(file),
                Map.of("host", 0.4, "gateway", 0.99, "stargate", 0.9999), Clock.systemUTC(), Duration.ofSeconds(45),
                Duration.ofSeconds(2)).start("127.0.0.1", 0);
    }

    /** A device's event types, oldest first, as the Explorer's store has them. */
    private static List<String> events(Explorer explorer, String id) {
        return explorer.store().events(id, null, 20).reversed().stream().map(e -> e.type().name()).toList();
    }
}
