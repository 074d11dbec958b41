package io.edgemanifest.explorer.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.Event;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.testing.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The outbox against a real H2 store: a refused row is isolated, a store that is down delays and never drops. */
class StoreWriterTest {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private static Device device(String id, DeviceStatus status, String city) {
        return new Device(id, "host", "sg-a", status, T0, T0, T0, "{}", null, null, city, "BW", Map.of("owner", id));
    }

    private StoreWriter writer(DeviceStore store, List<Device> substituted) {
        return new StoreWriter(store, new RateLimitedWarn(LoggerFactory.getLogger(StoreWriterTest.class), Duration.ofMinutes(1)),
                substituted::add);
    }

    @Test
    void oneRowTheStoreRefusesDoesNotStopTheOthersAndIsStoredWithoutItsRecord() {
        DeviceStore store = JdbcDeviceStore.open(StoreConfig.h2(dir.resolve("store")));
        open.add(store);
        List<Device> substituted = new ArrayList<>();
        StoreWriter writer = writer(store, substituted);
        for (int i = 0; i < 20; i++) {
            // One device past every bound ingest checks (a city of 250 characters: VARCHAR(200)).
            String city = i == 13 ? "x".repeat(250) : "Gaborone";
            writer.add(new Change(device("host-" + i, DeviceStatus.ONLINE, city), EventType.ONLINE, T0, null));
        }
        AtomicInteger committed = new AtomicInteger();

        assertThat(writer.flush(committed::addAndGet)).isTrue();

        assertThat(committed.get()).isEqualTo(20);
        assertThat(store.all()).hasSize(20);
        Device poisoned = store.find("host-13").orElseThrow();
        assertThat(poisoned.status()).isEqualTo(DeviceStatus.ONLINE);
        assertThat(poisoned.city()).isNull();
        assertThat(poisoned.parseError()).startsWith("record not storable");
        assertThat(store.events("host-13", null, 10)).extracting(Event::type).containsExactly(EventType.ONLINE);
        assertThat(substituted).extracting(Device::id).containsExactly("host-13");
    }

    @Test
    void aStoreThatIsDownKeepsEveryChangeQueuedAndWritesThemInOrderWithTheirTimesWhenItIsBack() throws Exception {
        int port = FreePorts.next();
        Server server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", dir.toString(), "-ifNotExists").start();
        String url = "jdbc:h2:tcp://127.0.0.1:" + port + "/explorer;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
        DeviceStore store = JdbcDeviceStore.open(new StoreConfig(url, "sa", "", null));
        open.add(store);
        StoreWriter writer = writer(store, new ArrayList<>());
        writer.add(new Change(device("host-1", DeviceStatus.ONLINE, "A"), EventType.ONLINE, T0, null));
        assertThat(writer.flush(n -> { })).isTrue();

        server.stop(); // the database goes away
        Instant off = T0.plusSeconds(10);
        Instant on = T0.plusSeconds(20);
        writer.add(new Change(device("host-1", DeviceStatus.OFFLINE, "A"), EventType.OFFLINE, off, null));
        writer.add(new Change(device("host-1", DeviceStatus.ONLINE, "A"), EventType.ONLINE, on, null));
        assertThat(writer.flush(n -> { })).isFalse();
        assertThat(writer.size()).isEqualTo(2);
        assertThat(writer.failing()).isTrue();

        server = Server.createTcpServer("-tcpPort", Integer.toString(port), "-baseDir", dir.toString(), "-ifNotExists").start();
        Server restarted = server;
        open.add(restarted::stop);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> writer.flush(n -> { }));

        assertThat(writer.size()).isZero();
        List<Event> events = store.events("host-1", null, 10).reversed();
        assertThat(events).extracting(Event::type).containsExactly(EventType.ONLINE, EventType.OFFLINE, EventType.ONLINE);
        assertThat(events).extracting(Event::at).containsExactly(T0, off, on);
    }

    /** Stands in for a store that refuses every write for a reason no row causes (explorer.ha's fence). */
    public static final class RefuseAll implements org.h2.api.Trigger {

        static final AtomicInteger FIRED = new AtomicInteger();

        @Override
        public void fire(java.sql.Connection c, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
            FIRED.incrementAndGet();
            throw new java.sql.SQLException("writes refused", "HY000");
        }
    }

    @Test
    void aStoreThatRefusesEveryWriteForNoRowsFaultIsNotSplitRowByRowAndKeepsEverythingQueued() throws Exception {
        StoreConfig config = StoreConfig.h2(dir.resolve("refusing"));
        DeviceStore store = JdbcDeviceStore.open(config);
        open.add(store);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             java.sql.Statement st = c.createStatement()) {
            st.execute("CREATE TRIGGER refuse_all BEFORE INSERT ON events FOR EACH ROW CALL \""
                    + RefuseAll.class.getName() + "\"");
        }
        List<Device> substituted = new ArrayList<>();
        StoreWriter writer = writer(store, substituted);
        for (int i = 0; i < 20; i++) {
            writer.add(new Change(device("host-" + i, DeviceStatus.ONLINE, "Gaborone"), EventType.ONLINE, T0, null));
        }
        RefuseAll.FIRED.set(0);

        assertThat(writer.flush(n -> { })).isFalse();

        // A JDBC batch runs every row once; a split down to single rows would fire ~6 times as often.
        assertThat(RefuseAll.FIRED.get()).as("one attempt, not a split down to single rows").isEqualTo(20);
        assertThat(writer.size()).isEqualTo(20);
        assertThat(substituted).isEmpty();
        assertThat(store.all()).isEmpty();
    }
}
