package io.edgemanifest.explorer.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * #13's data endpoints over a real H2 store and the real HTTP server (JDK HttpClient): CSV equal to
 * the API's items, exports past 1,000 rows, the map's cells, 400s naming the parameter, and the
 * live stream's delivery and replay. One store and one API for the class, seeded through the store.
 */
class ExplorerDataApiIT {

    private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BIG = 2_345;
    /** Values a CSV writer and a UI must carry as text: quotes, commas, newlines, markup, formulas. */
    private static final List<String> NASTY = List.of("Gabo\"rone", "a,b", "two\nlines", "<script>alert(1)</script>",
            "=HYPERLINK(\"http://x\")", "plain");

    private static Path dir;
    private static DeviceStore store;
    private static ExplorerApi api;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("data-api-it");
        store = JdbcDeviceStore.open(StoreConfig.h2(dir.resolve("store")));
        store.beginObservation(NOW.minus(Duration.ofDays(2)));
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < BIG; i++) {
            changes.add(online(new Device(String.format("big-%05d", i), "host", "sg-big", DeviceStatus.ONLINE, NOW, NOW, NOW,
                    "{}", null, null, null, null, Map.of())));
            if (changes.size() == 500) {
                store.apply(changes);
                changes = new ArrayList<>();
            }
        }
        for (int i = 0; i < NASTY.size(); i++) {
            String text = NASTY.get(i);
            changes.add(online(new Device("odd-" + i, i % 2 == 0 ? "host" : "gateway", "sg-odd", i == 3 ? DeviceStatus.OFFLINE
                    : DeviceStatus.ONLINE, NOW.minusSeconds(86_400), NOW.minusSeconds(60), NOW.minusSeconds(30), "{}", null,
                    i % 2 == 0 ? "odd-1" : null, text, text, Map.of("note", text), i < 4 ? -24.6 + i : null, i < 4 ? 25.9 - i : null)));
        }
        // the map: two in Gaborone's cell, one in Las Vegas, one across the antimeridian, one unlocated
        changes.add(online(located("map-1", "host", DeviceStatus.ONLINE, "map-gw", 10.0, 10.0)));
        changes.add(online(located("map-2", "host", DeviceStatus.OFFLINE, "map-gw", 12.0, 14.0)));
        changes.add(online(located("map-gw", "gateway", DeviceStatus.ONLINE, null, 12.0, 12.0)));
        changes.add(online(located("map-sg", "stargate", DeviceStatus.ONLINE, null, 36.17, -115.14)));
        changes.add(online(located("map-far", "host", DeviceStatus.ONLINE, null, -17.0, 179.0)));
        changes.add(online(located("map-none", "host", DeviceStatus.UNKNOWN, "map-gw", null, null)));
        store.apply(changes);
        store.refreshAvailability(NOW);
        api = new ExplorerApi(store, Clock.fixed(NOW, ZoneOffset.UTC), StoreConfig.DEFAULT_TARGETS,
                () -> Map.of("sg-map", Map.of("state", "ok", "reachable", true, "silent", true),
                        "sg-odd", Map.of("state", "unreachable", "reachable", false)),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
    }

    @AfterAll
    static void stop() throws Exception {
        api.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Device located(String id, String kind, DeviceStatus status, String gateway, Double lat, Double lon) {
        return new Device(id, kind, "sg-map", status, NOW, NOW, NOW, "{}", null, gateway, null, null, Map.of(), lat, lon);
    }

    private static Change online(Device d) {
        return new Change(d, EventType.ONLINE, NOW.minus(Duration.ofDays(1)), null);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** RFC 4180, independent of the server's writer. */
    static List<List<String>> parseCsv(String text) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                row.add(cell.toString());
                cell.setLength(0);
            } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                row.add(cell.toString());
                cell.setLength(0);
                rows.add(row);
                row = new ArrayList<>();
                i++;
            } else {
                cell.append(c);
            }
        }
        assertThat(cell).as("the CSV ends with a line break").isEmpty();
        return rows;
    }

    /** What the CSV must say for a JSON value: text as is (a formula defused), numbers and booleans as written. */
    private static String expected(JsonNode v) {
        if (v == null || v.isNull()) {
            return "";
        }
        String text = v.isTextual() ? v.asText() : v.toString();
        return v.isTextual() && !text.isEmpty() && "=+-@\t\r".indexOf(text.charAt(0)) >= 0 ? "'" + text : text;
    }

    @Test
    void theCsvSaysWhatTheApiSaysForTheSameFiltersQuotesCommasNewlinesAndMarkupIncluded() throws Exception {
        for (String filters : List.of("datacenter=sg-odd", "datacenter=sg-odd&kind=host&sort=-id", "datacenter=sg-odd&gateway=odd-1",
                "q=" + URLEncoder.encode("<script>", StandardCharsets.UTF_8))) {
            JsonNode items = json("/api/nodes?limit=1000&" + filters).get("items");
            HttpResponse<String> csv = get("/api/nodes.csv?" + filters);
            assertThat(csv.statusCode()).isEqualTo(200);
            assertThat(csv.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/csv");
            assertThat(csv.headers().firstValue("Content-Disposition").orElseThrow()).contains("nodes.csv");
            List<List<String>> rows = parseCsv(csv.body());
            List<String> header = rows.get(0);
            assertThat(header).containsExactly("id", "kind", "status", "datacenter", "gateway", "city", "country", "lat", "lon",
                    "firstSeen", "lastSeen", "statusSince", "availability24h", "belowTarget");
            assertThat(rows).as(filters).hasSize(items.size() + 1);
            assertThat(items.size()).as(filters).isPositive();
            for (int i = 0; i < items.size(); i++) {
                for (int c = 0; c < header.size(); c++) {
                    assertThat(rows.get(i + 1).get(c)).as(filters + " row " + i + " " + header.get(c))
                            .isEqualTo(expected(items.get(i).get(header.get(c))));
                }
            }
        }
        assertThat(get("/api/nodes.csv?datacenter=sg-odd").body()).contains("\"two\nlines\"", "\"Gabo\"\"rone\"",
                "<script>alert(1)</script>", "\"'=HYPERLINK(\"\"http://x\"\")\"");
    }

    @Test
    void theCsvOfMoreThanAThousandDevicesIsComplete() throws Exception {
        HttpResponse<String> csv = get("/api/nodes.csv?datacenter=sg-big&sort=-id");
        List<List<String>> rows = parseCsv(csv.body());
        assertThat(rows).hasSize(BIG + 1);
        Set<String> ids = new HashSet<>();
        rows.subList(1, rows.size()).forEach(r -> ids.add(r.get(0)));
        assertThat(ids).hasSize(BIG).contains("big-00000", String.format("big-%05d", BIG - 1));
        assertThat(rows.get(1).get(0)).isEqualTo(String.format("big-%05d", BIG - 1));
        assertThat(json("/api/nodes/counts?datacenter=sg-big").get("all").asLong()).isEqualTo(BIG);
    }

    @Test
    void theMapAnswersCellsWithCountsByStatusAndKindAndCountsTheUnlocated() throws Exception {
        JsonNode map = json("/api/map?datacenter=sg-map");
        assertThat(map.get("cellDegrees").asDouble()).isEqualTo(22.5);
        assertThat(map.get("total").asLong()).isEqualTo(5);
        assertThat(map.get("cells")).hasSize(3);
        JsonNode africa = null;
        for (JsonNode cell : map.get("cells")) {
            if (cell.get("count").asLong() == 3) {
                africa = cell;
            }
        }
        assertThat(africa).isNotNull();
        assertThat(africa.get("online").asLong()).isEqualTo(2);
        assertThat(africa.get("offline").asLong()).isEqualTo(1);
        assertThat(africa.get("byKind").get("host").asLong()).isEqualTo(2);
        assertThat(africa.get("byKind").get("gateway").asLong()).isEqualTo(1);
        assertThat(africa.get("lat").asDouble()).isCloseTo(34.0 / 3, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(JSON.convertValue(africa.get("bbox"), double[].class)).containsExactly(0, 0, 22.5, 22.5);
        assertThat(map.get("unlocated").get("count").asLong()).isEqualTo(1);
        assertThat(map.get("unlocated").get("unknown").asLong()).isEqualTo(1);

        assertThat(json("/api/map?datacenter=sg-map&zoom=3").get("cells")).as("10,10 apart from 12,12 and 12,14").hasSize(4);
        assertThat(json("/api/map?datacenter=sg-map&status=offline").get("total").asLong()).isEqualTo(1);
        assertThat(json("/api/map?datacenter=sg-map&kind=stargate").get("cells").get(0).get("lon").asDouble()).isEqualTo(-115.14);
        assertThat(json("/api/map?datacenter=sg-map&zoom=2&bbox=170,-40,-170,0").get("total").asLong())
                .as("across the antimeridian").isEqualTo(1);
        assertThat(json("/api/map?zoom=12&bbox=9.9,9.9,10.1,10.1").get("total").asLong()).isEqualTo(1);

        JsonNode links = json("/api/map/links?id=map-1").get("links");
        assertThat(links).hasSize(2); // host -> gateway, gateway -> the datacenter's stargate
        assertThat(links.get(0).get("to").get("id").asText()).isEqualTo("map-gw");
        assertThat(links.get(1).get("to").get("id").asText()).isEqualTo("map-sg");
        assertThat(json("/api/map/links?id=map-gw").get("links")).as("its located hosts and the stargate").hasSize(3);
    }

    @Test
    void aReusedMapAnswerIsNeverBehindAStoredEvent() throws Exception {
        String path = "/api/map?datacenter=sg-fresh";
        store.apply(List.of(new Change(new Device("fresh-1", "host", "sg-fresh", DeviceStatus.ONLINE, NOW, NOW, NOW, "{}", null,
                null, null, null, Map.of(), 5.0, 5.0), EventType.ONLINE, NOW, null)));
        assertThat(json(path).get("total").asLong()).isEqualTo(1);
        assertThat(json(path).get("total").asLong()).as("asked again at once: the same answer").isEqualTo(1);
        store.apply(List.of(new Change(new Device("fresh-2", "host", "sg-fresh", DeviceStatus.OFFLINE, NOW, NOW, NOW, "{}", null,
                null, null, null, Map.of(), 6.0, 6.0), EventType.OFFLINE, NOW, null)));
        JsonNode after = json(path);
        assertThat(after.get("total").asLong()).as("within the second, but after an event").isEqualTo(2);
        assertThat(after.get("cells").get(0).get("offline").asLong()).isEqualTo(1);
    }

    @Test
    void badParametersAre400sNamingThem() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/api/map?bbox=1,2,3", "bbox");
        cases.put("/api/map?bbox=0,50,10,40", "bbox");
        cases.put("/api/map?bbox=a,b,c,d", "bbox");
        cases.put("/api/map?bbox=-200,0,10,10", "bbox");
        cases.put("/api/map?zoom=13", "zoom");
        cases.put("/api/map?zoom=x", "zoom");
        cases.put("/api/map?zoom=12", "zoom");
        cases.put("/api/map?status=gone", "status");
        cases.put("/api/map/links", "id");
        cases.put("/api/nodes/odd-0/timeline?range=1y", "range");
        cases.put("/api/report/availability?range=1y", "range");
        cases.put("/api/report/availability.csv?range=2d", "range");
        cases.put("/api/events?since=-1", "since");
        cases.put("/api/events?since=abc", "since");
        cases.put("/api/events?limit=5000", "limit");
        cases.put("/api/nodes.csv?limit=10", "limit");
        cases.put("/api/nodes.csv?sort=password", "sort");
        cases.put("/api/nodes/counts?kind=router", "kind");
        cases.put("/api/nodes/odd-0/events.csv?from=yesterday", "from");
        for (var c : cases.entrySet()) {
            HttpResponse<String> r = get(c.getKey());
            assertThat(r.statusCode()).as(c.getKey() + " " + r.body()).isEqualTo(400);
            assertThat(JSON.readTree(r.body()).get("error").asText()).as(c.getKey()).contains("'" + c.getValue() + "'");
        }
        HttpResponse<String> badId = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/stream"))
                .header("Accept", "text/event-stream").header("Last-Event-ID", "nine").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badId.statusCode()).isEqualTo(400);
        assertThat(badId.body()).contains("'Last-Event-ID'");
        assertThat(get("/api/nodes/nobody/timeline").statusCode()).isEqualTo(404);
        assertThat(get("/api/map/links?id=nobody").statusCode()).isEqualTo(404);
    }

    @Test
    void theNetworkEndpointsAnswerTheContract() throws Exception {
        JsonNode node = json("/api/nodes/odd-1");
        assertThat(node.get("availability").has("90d")).isTrue();
        assertThat(node.get("availability").get("observedMillis").get("24h").asLong()).isEqualTo(Duration.ofDays(1).toMillis());
        assertThat(json("/api/nodes/map-sg").get("gateways").get("online").asLong()).isEqualTo(1);
        assertThat(json("/api/nodes/map-1").get("lat").asDouble()).isEqualTo(10.0);

        JsonNode gateways = json("/api/datacenters/sg-map/gateways").get("items");
        assertThat(gateways).hasSize(1);
        assertThat(gateways.get(0).get("hosts").get("online").asLong()).isEqualTo(1);
        assertThat(gateways.get(0).get("hosts").get("offline").asLong()).isEqualTo(1);
        assertThat(gateways.get(0).get("hosts").get("unknown").asLong()).isEqualTo(1);

        Map<String, String> problems = new LinkedHashMap<>();
        json("/api/datacenters").get("items").forEach(dc -> problems.put(dc.get("datacenter").asText(), dc.get("problem").asText(null)));
        assertThat(problems).containsEntry("sg-map", "silent").containsEntry("sg-odd", "unreachable").containsEntry("sg-big", null);

        JsonNode latest = json("/api/events?limit=3");
        long lastSeq = latest.get("lastSeq").asLong();
        assertThat(latest.get("items").get(0).get("seq").asLong()).isEqualTo(lastSeq);
        JsonNode since = json("/api/events?since=" + (lastSeq - 2));
        assertThat(since.get("items")).hasSize(2);
        assertThat(since.get("items").get(0).get("seq").asLong()).isEqualTo(lastSeq - 1);
        assertThat(since.get("items").get(0).get("kind").asText()).isNotEmpty();
        assertThat(since.get("lastSeq").asLong()).isEqualTo(lastSeq);

        JsonNode overview = json("/api/overview");
        assertThat(overview.get("datacenters")).hasSizeGreaterThanOrEqualTo(3);
        assertThat(overview.get("latest")).hasSize(20);
        assertThat(overview.get("targets").get("host").asDouble()).isEqualTo(0.40);
        assertThat(overview.get("belowTarget").get("total").asLong()).isZero();

        for (String range : List.of("24h", "7d")) {
            JsonNode report = json("/api/report/availability?range=" + range);
            JsonNode big = null;
            for (JsonNode row : report.get("rows")) {
                if (row.get("datacenter").asText().equals("sg-big")) {
                    big = row;
                }
            }
            assertThat(big).as(range).isNotNull();
            assertThat(big.get("devices").asLong()).isEqualTo(BIG);
            assertThat(big.get("observed").asLong()).isEqualTo(BIG);
            assertThat(big.get("mean").asDouble()).isEqualTo(1.0);
            assertThat(big.get("belowTarget").asLong()).isZero();
        }
        String csv = get("/api/report/availability.csv?range=7d").body();
        assertThat(parseCsv(csv).get(0)).containsExactly("kind", "datacenter", "devices", "observed", "mean", "belowTarget", "target");

        JsonNode timeline = json("/api/nodes/odd-1/timeline?range=7d");
        assertThat(timeline.get("segments")).hasSize(2);
        assertThat(timeline.get("segments").get(0).get("status").asText()).isEqualTo("nodata");
        assertThat(timeline.get("segments").get(1).get("status").asText()).isEqualTo("online");
        List<List<String>> events = parseCsv(get("/api/nodes/odd-1/events.csv").body());
        assertThat(events).hasSize(2);
        assertThat(events.get(1).subList(1, 3)).containsExactly("odd-1", "ONLINE");
    }

    /** One SSE connection: its messages ({event, id, data}) as they arrive. */
    private static final class Stream implements AutoCloseable {
        final BlockingQueue<Map<String, String>> messages = new LinkedBlockingQueue<>();
        final InputStream body;
        volatile boolean ended;

        Stream(ExplorerApi to, String lastEventId) throws Exception {
            this(open(to, lastEventId));
        }

        private static HttpResponse<InputStream> open(ExplorerApi to, String lastEventId) throws Exception {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + "/api/stream"))
                    .header("Accept", "text/event-stream");
            if (lastEventId != null) {
                request.header("Last-Event-ID", lastEventId);
            }
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        }

        Stream(HttpResponse<InputStream> response) {
            assertThat(response.statusCode()).isEqualTo(200);
            body = response.body();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                    Map<String, String> m = new LinkedHashMap<>();
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.isEmpty()) {
                            if (!m.isEmpty()) {
                                messages.add(m);
                            }
                            m = new LinkedHashMap<>();
                        } else if (!line.startsWith(":")) {
                            int colon = line.indexOf(':');
                            m.merge(line.substring(0, colon), line.substring(colon + 1).strip(), (a, b) -> a + "\n" + b);
                        }
                    }
                } catch (Exception e) {
                    // closed by the test
                } finally {
                    ended = true;
                }
            });
        }

        Map<String, String> next(String event) throws InterruptedException {
            while (true) {
                Map<String, String> m = messages.poll(5, TimeUnit.SECONDS);
                assertThat(m).as("a '" + event + "' message within 5 s").isNotNull();
                if (m.get("event").equals(event)) {
                    return m;
                }
            }
        }

        /** Every change up to the first counts message (what a connect replays). */
        List<Map<String, String>> changesUntilCounts() throws InterruptedException {
            List<Map<String, String>> changes = new ArrayList<>();
            while (true) {
                Map<String, String> m = messages.poll(5, TimeUnit.SECONDS);
                assertThat(m).as("counts within 5 s").isNotNull();
                if (m.get("event").equals("counts")) {
                    return changes;
                }
                changes.add(m);
            }
        }

        @Override
        public void close() throws Exception {
            body.close();
        }
    }

    private static Change event(String id, DeviceStatus status, EventType type, int second) {
        return new Change(new Device(id, "host", "sg-live", status, NOW, NOW, NOW, "{}", null, null, "Maun", "BW", Map.of()),
                type, NOW.plusSeconds(second), null);
    }

    @Test
    void theLiveStreamDeliversAStoredChangeAndAReconnectReplaysExactlyWhatItMissed() throws Exception {
        long received;
        try (Stream stream = new Stream(api, null)) {
            Map<String, String> first = stream.next("counts");
            // The first counts says where the client is: a reconnect before any change replays the gap.
            assertThat(first.get("id")).isEqualTo(String.valueOf(store.lastSeq()));
            JsonNode counts = JSON.readTree(first.get("data"));
            assertThat(counts.get("devices").asLong()).isPositive();
            long t0 = System.nanoTime();
            store.apply(List.of(event("live-1", DeviceStatus.ONLINE, EventType.ONLINE, 1)));
            Map<String, String> change = stream.next("change");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            JsonNode data = JSON.readTree(change.get("data"));
            assertThat(data.get("event").get("deviceId").asText()).isEqualTo("live-1");
            assertThat(data.get("event").get("type").asText()).isEqualTo("ONLINE");
            assertThat(data.get("node").get("city").asText()).isEqualTo("Maun");
            received = Long.parseLong(change.get("id"));
            assertThat(received).isEqualTo(data.get("event").get("seq").asLong());
            assertThat(JSON.readTree(stream.next("counts").get("data")).get("devices").asLong())
                    .as("counts move after a change").isEqualTo(counts.get("devices").asLong() + 1);
        }
        // Missed while disconnected:
        store.apply(List.of(event("live-1", DeviceStatus.OFFLINE, EventType.OFFLINE, 2)));
        store.apply(List.of(event("live-2", DeviceStatus.ONLINE, EventType.ONLINE, 3),
                event("live-1", DeviceStatus.ONLINE, EventType.ONLINE, 4)));
        long last = store.lastSeq();
        try (Stream again = new Stream(api, String.valueOf(received))) {
            List<Map<String, String>> replayed = again.changesUntilCounts();
            assertThat(replayed).extracting(m -> Long.parseLong(m.get("id"))).containsExactly(received + 1, received + 2, received + 3);
            assertThat(received + 3).isEqualTo(last);
            assertThat(replayed).extracting(m -> m.get("event")).containsOnly("change");
            store.apply(List.of(event("live-2", DeviceStatus.OFFLINE, EventType.OFFLINE, 5)));
            assertThat(Long.parseLong(again.next("change").get("id"))).as("then live again, nothing twice").isEqualTo(last + 1);
        }
        try (Stream ahead = new Stream(api, String.valueOf(store.lastSeq() + 100))) {
            Map<String, String> reset = ahead.messages.poll(5, TimeUnit.SECONDS);
            assertThat(reset).isNotNull();
            assertThat(reset.get("event")).as("an ID this store never issued (a restored store)").isEqualTo("reset");
            assertThat(reset.get("id")).isEqualTo(String.valueOf(store.lastSeq()));
        }
        try (Stream tooFar = new Stream(api, "0")) {
            Map<String, String> reset = tooFar.messages.poll(5, TimeUnit.SECONDS);
            assertThat(reset).isNotNull();
            assertThat(reset.get("event")).as("more than 1,000 missed").isEqualTo("reset");
            assertThat(tooFar.next("counts")).isNotNull();
        }
    }

    @Test
    void streamsAreCappedADisconnectedClientFreesItsSlotAndClosingTheApiEndsThemAll() throws Exception {
        ExplorerApi second = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS, Map::of,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
        List<Stream> streams = new ArrayList<>();
        try {
            for (int i = 0; i < LiveStream.MAX_CLIENTS; i++) {
                streams.add(new Stream(second, null));
            }
            for (Stream s : streams) {
                s.next("counts");
            }
            HttpRequest one = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.port() + "/api/stream"))
                    .header("Accept", "text/event-stream").build();
            HttpResponse<String> refused = HTTP.send(one, HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(refused.body()).get("error").asText()).contains("too many live streams");

            // A client that goes away is noticed at the next write (an event here, else the heartbeat).
            streams.remove(0).close();
            int[] at = {100};
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(700)).until(() -> {
                store.apply(List.of(event("cap-" + at[0], DeviceStatus.ONLINE, EventType.ONLINE, at[0]++)));
                HttpResponse<InputStream> r = HTTP.send(one, HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() == 200) {
                    streams.add(new Stream(r));
                    return true;
                }
                r.body().close();
                return false;
            });
            second.close();
            await().atMost(Duration.ofSeconds(5)).until(() -> streams.stream().allMatch(s -> s.ended));
        } finally {
            second.close(); // again after a failure above: stopping twice is harmless
            for (Stream s : streams) {
                s.close();
            }
        }
    }
}
