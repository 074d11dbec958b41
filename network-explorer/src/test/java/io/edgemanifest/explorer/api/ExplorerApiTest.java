package io.edgemanifest.explorer.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over a real H2 store: what it answers when there is no data, deep paging, derived counts, a store that is gone. */
class ExplorerApiTest {

    private static final Instant NOW = Instant.parse("2026-11-02T00:00:00Z");
    private static final String GW = "gateway-00000000-0000-4000-8000-000000000001";

    @TempDir
    Path dir;

    private DeviceStore store;
    private ExplorerApi api;
    private StoreConfig config;

    @BeforeEach
    void start() {
        config = StoreConfig.h2(dir.resolve("store"));
        store = JdbcDeviceStore.open(config);
        api = new ExplorerApi(store, Clock.fixed(NOW, ZoneOffset.UTC), StoreConfig.DEFAULT_TARGETS, Map::of,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        api.close();
        store.close();
    }

    private static Device device(String id, String kind, DeviceStatus status, String gateway) {
        return new Device(id, kind, "sg-a", status, NOW, NOW, NOW, "{}", null, gateway, null, null, Map.of());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(String path) throws Exception {
        HttpResponse<String> response = get(path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body());
    }

    @Test
    void aDeviceWithNoObservedTimeHasNoDataNotZeroPercentAndIsNotBelowTarget() throws Exception {
        // Seen only while the Explorer observed nothing (no observation period covers it).
        store.apply(List.of(new Change(device("host-1", "host", DeviceStatus.ONLINE, null), EventType.ONLINE,
                NOW.minusSeconds(3600), null)));

        JsonNode node = json("/api/nodes/host-1");
        assertThat(node.path("availability").path("24h").isNull()).as(node.toString()).isTrue();
        assertThat(node.path("availability").path("belowTarget").asBoolean()).isFalse();
        JsonNode buckets = json("/api/nodes/host-1/availability?range=hourly&count=2").path("buckets");
        assertThat(buckets.get(1).path("online").isNull()).isTrue();
        assertThat(buckets.get(1).path("observedMillis").asLong()).isZero();
    }

    @Test
    void eventsPageBeyondTwoToThe31() throws Exception {
        store.apply(List.of(new Change(device("host-1", "host", DeviceStatus.ONLINE, null), EventType.ONLINE, NOW, null)));
        long big = 3_000_000_000L; // seq is a BIGINT: a busy network passes 2^31 events
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             PreparedStatement ps = c.prepareStatement("INSERT INTO events (seq, device_id, event_type, happened_at, datacenter) "
                     + "VALUES (?, 'host-1', 'OFFLINE', ?, 'sg-a')")) {
            ps.setLong(1, big);
            ps.setObject(2, NOW.atOffset(ZoneOffset.UTC));
            ps.executeUpdate();
        }
        JsonNode newest = json("/api/nodes/host-1/events?limit=1");
        assertThat(newest.path("items").get(0).path("seq").asLong()).isEqualTo(big);
        JsonNode older = json("/api/nodes/host-1/events?before=" + big);
        assertThat(older.path("items")).hasSize(1);
        assertThat(older.path("items").get(0).path("type").asText()).isEqualTo("ONLINE");
        assertThat(get("/api/nodes/host-1/events?before=-1").statusCode()).isEqualTo(400);
        assertThat(get("/api/nodes/host-1/events?before=99999999999999999999").body()).contains("before");
    }

    @Test
    void hostsPerGatewayAreDerivedWhereTheyAreShown() throws Exception {
        store.apply(List.of(new Change(device(GW, "gateway", DeviceStatus.ONLINE, null), EventType.ONLINE, NOW, null),
                new Change(device("host-1", "host", DeviceStatus.ONLINE, GW), EventType.ONLINE, NOW, null),
                new Change(device("host-2", "host", DeviceStatus.ONLINE, GW), EventType.ONLINE, NOW, null),
                new Change(device("host-3", "host", DeviceStatus.OFFLINE, GW), EventType.OFFLINE, NOW, null),
                new Change(device("host-4", "host", DeviceStatus.ONLINE, "gateway-other"), EventType.ONLINE, NOW, null)));
        JsonNode hosts = json("/api/nodes/" + GW).path("hosts");
        assertThat(hosts.path("online").asLong()).isEqualTo(2);
        assertThat(hosts.path("offline").asLong()).isEqualTo(1);
    }

    @Test
    void aStoreThatDoesNotAnswerIsA503WithJsonNotAStackTrace() throws Exception {
        store.close();
        HttpResponse<String> response = get("/api/nodes");
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(new ObjectMapper().readTree(response.body()).path("error").asText()).contains("store");
    }
}
