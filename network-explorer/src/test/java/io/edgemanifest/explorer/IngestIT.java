package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.Event;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.replicate.ReplicateSettings;
import io.edgemanifest.replicate.Replicator;
import io.edgemanifest.replicate.SourceSpec;
import io.edgemanifest.testing.ConsulExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path, for real: hosts present in two Stargate datacenters, replicate copying them into
 * the Explorer's Consul, and the Explorer turning the replica into devices and events in an H2 file.
 */
class IngestIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("explorer", "sg-a", "sg-b");

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private Replicator replicator;
    private Explorer explorer;

    @BeforeEach
    void start() {
        List<SourceSpec> sources = List.of(SourceSpec.parse("sg-a=" + consul.datacenter("sg-a").httpUrl(), null),
                SourceSpec.parse("sg-b=" + consul.datacenter("sg-b").httpUrl(), null));
        replicator = new Replicator(new Replicator.ReplicateConfig(endpoint("explorer"), sources,
                new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(5), 0.5, 100,
                        Duration.ofSeconds(1), Duration.ofSeconds(1)), Duration.ofSeconds(3), Duration.ofMillis(500))).start();
        explorer = startExplorer();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
        scheduler.shutdownNow();
        if (explorer != null) {
            explorer.close();
        }
        replicator.close();
    }

    private Explorer startExplorer() {
        DeviceStore store = TestStores.h2(dir.resolve("explorer"));
        return new Explorer(endpoint("explorer"), store, Map.of("host", 0.4, "gateway", 0.99, "stargate", 0.9999),
                Clock.systemUTC()).start("127.0.0.1", 0);
    }

    private ConsulEndpoint endpoint(String dc) {
        return ConsulEndpoint.parse(consul.datacenter(dc).httpUrl(), null);
    }

    private Presence host(String name, String dc) {
        String id = NodeIdentity.loadOrCreate(dir.resolve(name), NodeKind.HOST);
        Presence presence = Presence.create(PresenceConfig.of(endpoint(dc), CheckSpec.Ttl.of(TTL))
                        .withMaxBackoff(Duration.ofSeconds(1)),
                NodeRecord.of(id, NodeKind.HOST, "1.0").withLabels(Map.of("owner", name))
                        .withLocation(new io.edgemanifest.core.node.Location("Maun", "BW", -19.98, 23.42)), scheduler).start();
        closeables.add(presence);
        return presence;
    }

    private Optional<Device> device(String id) {
        return explorer.store().find(id);
    }

    private DeviceStatus status(String id) {
        return device(id).map(Device::status).orElse(null);
    }

    private List<EventType> events(String id) {
        return explorer.store().events(id, null, 100).stream().map(Event::type).toList().reversed();
    }

    @Test
    void aHostThatComesAndGoesIsOnlineThenOfflineWithItsEvents() throws Exception {
        Presence h = host("alice", "sg-a");
        String id = h.record().id();
        await().atMost(Duration.ofSeconds(20)).until(() -> status(id) == DeviceStatus.ONLINE);
        Device d = device(id).orElseThrow();
        assertThat(d.datacenter()).isEqualTo("sg-a");
        assertThat(d.labels()).containsEntry("owner", "alice");
        assertThat(d.lat()).as("the record's location.lat, a column for the map (#13)").isEqualTo(-19.98);
        assertThat(d.lon()).isEqualTo(23.42);

        HttpResponse<String> list = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + explorer.port() + "/api/nodes?status=online&kind=host")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains(id, "\"total\":1");
        HttpResponse<String> dcs = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + explorer.port() + "/api/datacenters")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(dcs.body()).contains("\"datacenter\":\"sg-a\"", "\"lagMillis\"", "\"reachable\":true", "\"problem\":null");
        HttpResponse<String> map = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + explorer.port() + "/api/map?zoom=2")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(map.body()).contains("\"count\":1", "\"lat\":-19.98", "\"unlocated\":{\"count\":0");
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://127.0.0.1:" + explorer.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.body()).contains("explorer_devices{datacenter=\"sg-a\",kind=\"host\",status=\"online\"} 1.0",
                "explorer_ingest_lag_seconds", "explorer_datacenter_reachable{datacenter=\"sg-a\"} 1.0",
                "explorer_datacenter_silent{datacenter=\"sg-a\"} 0.0", "explorer_availability_target_ratio{kind=\"host\"} 0.4",
                "explorer_devices_below_target{datacenter=\"sg-a\",kind=\"host\"} 0.0",
                "explorer_availability_ratio{datacenter=\"sg-a\",kind=\"host\"}", "jvm_memory_used_bytes");

        h.close();

        await().atMost(Duration.ofSeconds(20)).until(() -> status(id) == DeviceStatus.OFFLINE);
        assertThat(events(id)).containsExactly(EventType.ONLINE, EventType.OFFLINE);
    }

    @Test
    void aStargateDatacenterThatVanishesMakesItsDevicesUnknownNotOffline() {
        Presence h = host("bob", "sg-b");
        String id = h.record().id();
        await().atMost(Duration.ofSeconds(20)).until(() -> status(id) == DeviceStatus.ONLINE);

        consul.datacenter("sg-b").stop();

        await().atMost(Duration.ofSeconds(20)).until(() -> status(id) == DeviceStatus.UNKNOWN);
        assertThat(events(id)).doesNotContain(EventType.OFFLINE);

        consul.datacenter("sg-b").start(); // back empty; the host heals itself into it

        await().atMost(Duration.ofSeconds(30)).until(() -> status(id) == DeviceStatus.ONLINE);
        // The datacenter returns empty; if replicate reads it before the host has healed into it, a
        // short OFFLINE is the truth. What must not happen is OFFLINE while it was unreachable.
        List<EventType> events = events(id);
        assertThat(events.subList(0, 2)).containsExactly(EventType.ONLINE, EventType.UNKNOWN);
        assertThat(events.get(events.size() - 1)).isEqualTo(EventType.ONLINE);
        assertThat(events.stream().filter(e -> e == EventType.UNKNOWN)).as("no flapping").hasSize(1);
    }

    @Test
    void whenEveryReplicateStopsItsDatacentersTurnUnknownAndComeBackWithIt() throws Exception {
        explorer.close();
        explorer = new Explorer(endpoint("explorer"), TestStores.h2(dir.resolve("explorer")),
                Map.of("host", 0.4, "gateway", 0.99, "stargate", 0.9999), Clock.systemUTC(),
                Duration.ofSeconds(45), Duration.ofSeconds(12)).start("127.0.0.1", 0);
        Presence h = host("carol", "sg-a");
        String id = h.record().id();
        await().atMost(Duration.ofSeconds(20)).until(() -> status(id) == DeviceStatus.ONLINE);

        // The replica freezes: without a beat, a host that died meanwhile would stay ONLINE forever.
        replicator.close();
        await().atMost(Duration.ofSeconds(12 + 8)).until(() -> status(id) == DeviceStatus.UNKNOWN);
        assertThat(events(id)).doesNotContain(EventType.OFFLINE);

        replicator = new Replicator(new Replicator.ReplicateConfig(endpoint("explorer"),
                List.of(SourceSpec.parse("sg-a=" + consul.datacenter("sg-a").httpUrl(), null),
                        SourceSpec.parse("sg-b=" + consul.datacenter("sg-b").httpUrl(), null)),
                new ReplicateSettings(List.of("manifest/"), List.of(), Duration.ofSeconds(5), 0.5, 100,
                        Duration.ofSeconds(1), Duration.ofSeconds(1)), Duration.ofSeconds(3), Duration.ofMillis(500))).start();
        await().atMost(Duration.ofSeconds(30)).until(() -> status(id) == DeviceStatus.ONLINE);
        assertThat(events(id)).containsExactly(EventType.ONLINE, EventType.UNKNOWN, EventType.ONLINE);
    }

    @Test
    void aRestartedExplorerKeepsHistoryAddsNoDuplicatesAndCatchesUpOnWhatItMissed() {
        Presence stays = host("stays", "sg-a");
        Presence leaves = host("leaves", "sg-a");
        await().atMost(Duration.ofSeconds(20)).until(() -> status(stays.record().id()) == DeviceStatus.ONLINE
                && status(leaves.record().id()) == DeviceStatus.ONLINE);

        explorer.close();
        explorer = null;
        leaves.close();
        // The replica forgets the leaver before the Explorer comes back.
        org.kiwiproject.consul.Consul dest = org.kiwiproject.consul.Consul.builder()
                .withUrl(consul.datacenter("explorer").httpUrl()).withPing(false).build();
        closeables.add(dest::destroy);
        await().atMost(Duration.ofSeconds(20)).until(() -> dest.keyValueClient()
                .getValue("replica/sg-a/kv/" + NodeKind.HOST.keyOf(leaves.record().id())).isEmpty());

        explorer = startExplorer();

        await().atMost(Duration.ofSeconds(20)).until(() -> status(leaves.record().id()) == DeviceStatus.OFFLINE);
        assertThat(events(leaves.record().id())).containsExactly(EventType.ONLINE, EventType.OFFLINE);
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> events(stays.record().id()).equals(List.of(EventType.ONLINE)));
    }

    @Test
    void aMalformedRecordInTheReplicaMarksItsDeviceAndIngestGoesOn() throws Exception {
        org.kiwiproject.consul.Consul sgA = org.kiwiproject.consul.Consul.builder()
                .withUrl(consul.datacenter("sg-a").httpUrl()).withPing(false).build();
        closeables.add(sgA::destroy);
        String bad = NodeIdentity.loadOrCreate(dir.resolve("bad"), NodeKind.HOST);
        sgA.agentClient().register(org.kiwiproject.consul.model.agent.ImmutableRegistration.builder().id(bad).name(bad).addTags("host")
                .check(org.kiwiproject.consul.model.agent.Registration.RegCheck.ttl(60L)).build());
        sgA.agentClient().pass(bad);
        sgA.keyValueClient().putValue(NodeKind.HOST.keyOf(bad), "{this is not json");

        await().atMost(Duration.ofSeconds(20)).until(() -> device(bad).map(Device::parseError).isPresent());
        assertThat(device(bad).orElseThrow().parseError()).startsWith("unreadable record");

        Presence good = host("good", "sg-a");
        await().atMost(Duration.ofSeconds(20)).until(() -> status(good.record().id()) == DeviceStatus.ONLINE);
    }
}
