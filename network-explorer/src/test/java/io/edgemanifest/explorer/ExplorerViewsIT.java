package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.results.Rule;
import com.deque.html.axecore.selenium.AxeBuilder;
import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.explorer.ui.Browsers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The map, node and overview views (#13) in real headless Chromium over a real H2 store seeded with
 * a demo-like network: three datacenters with located stargates, gateways and hosts (two regions
 * on the map), hosts without a location, one host with a week of history, one datacenter replicate
 * cannot read. Each view is opened by its address, checked for what it must show, checked with
 * axe-core, and photographed into target/ (docs/images/explorer-*.png are copies of those).
 */
class ExplorerViewsIT {

    private static final Instant NOW = Instant.now();
    private static final String HISTORY = "host-0b7e2c1a-4f6d-4c3e-9a51-7d2f10c0ffee";
    private static final String GATEWAY = "gw-gaborone-1";
    private static final String INJECTED = "<script>window.pwned=1</script>";
    private static final int UNLOCATED = 6;

    @TempDir
    static Path dir;

    private static DeviceStore store;
    private static ExplorerApi api;
    private static WebDriver browser;
    private static String base;
    private static int located;
    private static int locatedOffline;
    private static int gatewayHosts;

    private record Site(String dc, String city, String country, double lat, double lon) {
    }

    private static final List<Site> SITES = List.of(
            new Site("sg-gaborone", "Gaborone", "BW", -24.65, 25.91),
            new Site("sg-las-vegas", "Las Vegas", "US", 36.17, -115.14),
            new Site("sg-frankfurt", "Frankfurt", "DE", 50.11, 8.68),
            new Site("sg-tokyo", "Tokyo", "JP", 35.68, 139.69),
            new Site("sg-sydney", "Sydney", "AU", -33.87, 151.21),
            new Site("sg-bogota", "Bogota", "CO", 4.71, -74.07));

    @BeforeAll
    static void start() {
        store = TestStores.h2(dir.resolve("views"));
        Random random = new Random(13);
        List<Change> changes = new ArrayList<>();
        Instant born = NOW.minus(Duration.ofDays(8));
        for (Site site : SITES) {
            String sg = "sg-" + site.city().toLowerCase().replace(' ', '-') + "-stargate";
            changes.add(first(device(sg, "stargate", site, null, DeviceStatus.ONLINE, site.lat() + 0.4, site.lon() - 0.3, Map.of()), born));
            for (int g = 1; g <= 2; g++) {
                String gw = "gw-" + site.city().toLowerCase().replace(' ', '-') + "-" + g;
                changes.add(first(device(gw, "gateway", site, null, DeviceStatus.ONLINE, site.lat() + g * 0.8, site.lon() + g * 0.9, Map.of()), born));
                for (int i = 0; i < 14; i++) {
                    String id = String.format("host-%s-%d-%02d", site.city().toLowerCase().replace(' ', '-'), g, i);
                    DeviceStatus st = i % 7 == 3 ? DeviceStatus.OFFLINE : i % 9 == 5 ? DeviceStatus.UNKNOWN : DeviceStatus.ONLINE;
                    // Within 1.5 degrees of the site: each site stays inside one zoom-0 cell of the map's grid.
                    Device d = device(id, "host", site, gw, st, site.lat() + spread(random), site.lon() + spread(random),
                            Map.of("owner", "member-" + i));
                    changes.add(first(device(id, "host", site, gw, DeviceStatus.ONLINE, d.lat(), d.lon(), d.labels()),
                            born.plus(Duration.ofMinutes(i))));
                    if (st == DeviceStatus.OFFLINE) {
                        // offline for 17 h and 24 h: below the host target over 24 h
                        changes.add(new Change(d, EventType.OFFLINE, NOW.minus(Duration.ofHours(14 + i)), null));
                    } else if (st == DeviceStatus.UNKNOWN) {
                        changes.add(new Change(d, EventType.UNKNOWN, NOW.minus(Duration.ofMinutes(20 + i)), null));
                    }
                    if (GATEWAY.equals(gw)) {
                        gatewayHosts++;
                    }
                }
            }
        }
        // Hosts whose record has no location: counted on the map, not drawn.
        for (int i = 0; i < UNLOCATED; i++) {
            Site site = SITES.get(i % 2);
            changes.add(first(device("host-nowhere-" + i, "host", site, null, DeviceStatus.ONLINE, null, null, Map.of()), born));
        }
        // One host with a week of history: an outage, an UNKNOWN inside another, and one still going.
        Site gab = SITES.get(0);
        Map<String, String> labels = Map.of("owner", INJECTED, "rack", "r\"1'");
        changes.add(first(device(HISTORY, "host", gab, GATEWAY, DeviceStatus.ONLINE, -24.0, 26.5, labels), NOW.minus(Duration.ofDays(7))));
        gatewayHosts++;
        Object[][] story = {
                {EventType.OFFLINE, Duration.ofHours(100)}, {EventType.ONLINE, Duration.ofHours(97)},
                {EventType.UNKNOWN, Duration.ofHours(50)}, {EventType.OFFLINE, Duration.ofHours(49)}, {EventType.ONLINE, Duration.ofHours(47)},
                {EventType.UPDATED, Duration.ofHours(30)}, {EventType.OFFLINE, Duration.ofMinutes(90)}};
        Instant since = NOW.minus(Duration.ofDays(7));
        for (Object[] step : story) {
            EventType type = (EventType) step[0];
            DeviceStatus st = type == EventType.UPDATED ? DeviceStatus.ONLINE : DeviceStatus.valueOf(type.name());
            Instant at = NOW.minus((Duration) step[1]);
            if (type != EventType.UPDATED) {
                since = at;
            }
            changes.add(new Change(device(HISTORY, "host", gab, GATEWAY, st, -24.0, 26.5, labels, since), type,
                    at, type == EventType.UPDATED ? "version 3 -> 4 " + INJECTED : null));
        }
        // In time order, so that event seq follows time as in a live network (the latest changes are the newest).
        changes.sort(java.util.Comparator.comparing(Change::at));
        store.apply(changes);
        // The Explorer observed the network for the last 8 days except 10 hours 3 days ago: no data there.
        long early = store.beginObservation(born);
        store.extendObservation(early, NOW.minus(Duration.ofHours(82)));
        long late = store.beginObservation(NOW.minus(Duration.ofHours(72)));
        store.extendObservation(late, NOW);
        store.refreshAvailability(NOW);
        located = SITES.size() * (1 + 2 + 2 * 14) + 1;
        locatedOffline = SITES.size() * 2 * 2 + 1; // i = 3 and 10 per gateway, plus the history host

        api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS,
                () -> {
                    Map<String, Object> status = new java.util.LinkedHashMap<>();
                    SITES.forEach(site -> status.put(site.dc(), site.dc().equals("sg-frankfurt")
                            ? Map.of("state", "unreachable", "reachable", false) : Map.of("state", "ok", "reachable", true)));
                    return status;
                },
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + api.port();
        browser = Browsers.chromium(dir.resolve("chromium-profile"));
        // The screenshots are 1400 x 900 pages: the window is that plus the browser's own frame.
        browser.get(base + "/healthz");
        long frame = (Long) ((JavascriptExecutor) browser).executeScript("return window.outerHeight - window.innerHeight");
        browser.manage().window().setSize(new Dimension(1400, 900 + (int) frame));
    }

    private static Device device(String id, String kind, Site site, String gateway, DeviceStatus status, Double lat, Double lon,
                                 Map<String, String> labels) {
        return device(id, kind, site, gateway, status, lat, lon, labels, NOW);
    }

    private static Device device(String id, String kind, Site site, String gateway, DeviceStatus status, Double lat, Double lon,
                                 Map<String, String> labels, Instant statusSince) {
        String record = "{\"id\":\"" + id + "\",\"kind\":\"" + kind.toUpperCase() + "\",\"note\":\"" + INJECTED.replace("/", "\\/") + "\"}";
        return new Device(id, kind, site.dc(), status, NOW.minus(Duration.ofDays(8)), NOW, statusSince, record, null, gateway,
                site.city(), site.country(), labels, lat, lon);
    }

    private static double spread(Random random) {
        return Math.max(-1.5, Math.min(1.5, random.nextGaussian() * 0.6));
    }

    private static Change first(Device d, Instant at) {
        return new Change(d, EventType.ONLINE, at, "first seen");
    }

    @AfterAll
    static void stop() {
        Browsers.stop(browser, api, store);
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    private static void open(String hash) {
        // A new document per view: the router and every module start fresh, as from a bookmark.
        browser.get("about:blank");
        browser.get(base + "/" + hash);
    }

    private static String hash() {
        return (String) ((JavascriptExecutor) browser).executeScript("return location.hash");
    }

    private static void screenshot(String name) throws Exception {
        // The router focuses the view's heading (for screen readers); its focus ring is not part of the picture.
        ((JavascriptExecutor) browser).executeScript("document.activeElement && document.activeElement.blur()");
        Path shot = Path.of("target", name);
        Files.createDirectories(shot.getParent());
        Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /** Fails naming every serious or critical WCAG 2.1 A/AA violation axe-core finds on the open page. */
    private static void assertAccessible(String what) {
        Results results = new AxeBuilder().withTags(List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")).analyze(browser);
        List<String> failing = new ArrayList<>();
        for (Rule rule : results.getViolations()) {
            if ("serious".equals(rule.getImpact()) || "critical".equals(rule.getImpact())) {
                failing.add(rule.getImpact() + " " + rule.getId() + ": " + rule.getHelp() + " at "
                        + rule.getNodes().stream().map(n -> n.getTarget().toString()).limit(5).toList());
            }
        }
        assertThat(failing).as("serious/critical accessibility violations in %s", what).isEmpty();
    }

    private static List<WebElement> clusters() {
        return browser.findElements(By.cssSelector("#map a.cluster"));
    }

    /** The devices the drawn clusters count, read in one script (the map may redraw between two reads). */
    private static long clusterSum() {
        return (Long) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('#map a.cluster')].reduce((n, a) => n + Number(a.dataset.count), 0)");
    }

    @SuppressWarnings("unchecked")
    private static List<Double> clusterLats() {
        return ((List<Object>) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('#map a.cluster')].map(a => Number(a.dataset.lat))"))
                .stream().map(o -> ((Number) o).doubleValue()).toList();
    }

    @Test
    void mapDrawsTheWorldAndClustersWithCountsAndACountOfUnlocatedDevices() throws Exception {
        open("#/map");
        waiting().until(d -> browser.findElements(By.cssSelector("#map path.country")).size() > 150);
        waiting().until(d -> clusterSum() == located);
        List<Double> lats = clusterLats();
        assertThat(lats).as("a cluster in southern Africa and one in North America").anyMatch(l -> l < -15).anyMatch(l -> l > 30);
        assertThat(clusters()).allSatisfy(c -> assertThat(c.findElement(By.cssSelector("text.count")).getText())
                .isEqualTo(c.getAttribute("data-count")));
        assertThat(browser.findElements(By.cssSelector("#map a.cluster path.slice-offline"))).as("offline devices drawn red").isNotEmpty();
        WebElement unlocated = browser.findElement(By.id("unlocated-link"));
        assertThat(unlocated.getText()).isEqualTo(UNLOCATED + " devices without a location");
        assertThat(unlocated.getAttribute("href")).contains("located=false");
        assertThat(browser.findElements(By.cssSelector("#map-cells tbody tr"))).as("text alternative: one row per cluster")
                .hasSize(clusters().size());
        screenshot("explorer-map.png");
        assertAccessible("map");

        // The status filter re-queries and lands in the address.
        new Select(browser.findElement(By.id("m-status"))).selectByValue("offline");
        waiting().until(d -> clusterSum() == locatedOffline);
        assertThat(hash()).contains("status=offline");

        // Zooming in re-queries with the visible bbox and keeps the zoom in the address.
        browser.findElement(By.id("zoom-in")).click();
        waiting().until(d -> hash().contains("zoom=1"));

        // A cluster opens the device list filtered to its cell and the map's filters.
        open("#/map?zoom=3&lat=-24&lon=26");
        waiting().until(d -> !clusters().isEmpty());
        WebElement cell = clusters().stream().filter(c -> Double.parseDouble(c.getAttribute("data-lat")) < 0).findFirst().orElseThrow();
        int count = Integer.parseInt(cell.getAttribute("data-count"));
        cell.click();
        waiting().until(d -> hash().startsWith("#/nodes?"));
        String bbox = hash().replaceAll(".*bbox=([^&]*).*", "$1");
        assertThat(hash()).contains("status=all", "bbox=");
        // The list API answers exactly the cluster's devices for that bbox (docs/explorer-api.md).
        HttpResponse<String> list = get("/api/nodes?limit=1&bbox=" + bbox);
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(list.body()).contains("\"total\":" + count);
        // ...and so does the list the click opened: the area is a filter of the view, shown and clearable.
        waiting().until(d -> browser.findElement(By.id("count")).getText()
                .startsWith(count + (count == 1 ? " device " : " devices ")));
        assertThat(browser.findElement(By.id("f-area")).getText()).contains("map area");
        assertThat(get("/api/nodes?located=false&limit=1").body()).contains("\"total\":" + UNLOCATED);
        for (String bad : List.of("bbox=1,2,3", "bbox=0,50,10,40", "bbox=x,0,1,1", "located=maybe")) {
            HttpResponse<String> r = get("/api/nodes?" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.body()).as(bad).contains(bad.substring(0, bad.indexOf('=')));
        }

        // Hovering a small cluster draws its devices' chains: host -> gateway -> stargate.
        open("#/map?zoom=6&lat=-24.3&lon=26.3");
        waiting().until(d -> !clusters().isEmpty());
        WebElement small = clusters().stream().filter(c -> Integer.parseInt(c.getAttribute("data-count")) <= 5).findFirst().orElseThrow();
        new Actions(browser).moveToElement(small).perform();
        waiting().until(d -> browser.findElements(By.cssSelector("#map line.link")).size() >= 2);
        assertThat(browser.findElements(By.cssSelector("#map line.link-host-gateway"))).isNotEmpty();
        assertThat(browser.findElements(By.cssSelector("#map line.link-gateway-stargate"))).isNotEmpty();
    }

    @Test
    void nodePageShowsChartTimelineOutagesAndTheRangeInTheAddress() throws Exception {
        open("#/node/" + HISTORY + "?range=7d");
        waiting().until(d -> !browser.findElements(By.cssSelector("#chart path.line")).isEmpty());
        assertThat(browser.findElement(By.id("node-title")).getText()).contains(HISTORY, "offline");
        assertThat(browser.findElements(By.id("target-line"))).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#chart rect.nodata"))).as("the unobserved 10 h are a gap").isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("#chart path.line")).getAttribute("d")).as("the line breaks at the gap")
                .matches("(M[^M]+){2,}");
        assertThat(browser.findElements(By.cssSelector("#chart text.tick.x"))).hasSizeGreaterThanOrEqualTo(3);
        assertThat(browser.findElements(By.cssSelector("#timeline rect.seg-offline"))).isNotEmpty();
        assertThat(browser.findElements(By.cssSelector("#timeline rect.seg-online"))).isNotEmpty();
        assertThat(browser.findElement(By.id("availability")).getText()).matches(".*% over .* observed in the last 7d.*");

        List<WebElement> outages = browser.findElements(By.cssSelector("#outages tbody tr"));
        assertThat(outages).as("three outages: the UNKNOWN->OFFLINE one counts once").hasSize(3);
        assertThat(outages.get(0).getText()).contains("ongoing", "1 h 30 min");
        assertThat(outages.get(1).getText()).contains("3 h");
        assertThat(outages.get(2).getText()).contains("3 h");

        // Record values are text: the injected script is shown, never run.
        assertThat(browser.findElement(By.id("record")).getAttribute("textContent")).contains(INJECTED);
        assertThat(((JavascriptExecutor) browser).executeScript("return window.pwned === undefined")).isEqualTo(true);
        assertThat(browser.findElement(By.id("events-csv")).getAttribute("href")).contains("/events.csv?from=");
        screenshot("explorer-node.png");
        assertAccessible("node");

        WebElement day = browser.findElement(By.cssSelector(".range-toggle button[data-range='24h']"));
        assertThat(day.getAttribute("aria-pressed")).isEqualTo("false");
        day.click();
        waiting().until(d -> hash().endsWith("range=24h"));
        waiting().until(d -> browser.findElement(By.id("availability")).getText().contains("last 24h"));
        assertThat(browser.findElement(By.cssSelector(".range-toggle button[data-range='24h']")).getAttribute("aria-pressed")).isEqualTo("true");

        // A gateway lists its connected hosts and links to the full list.
        open("#/node/" + GATEWAY);
        waiting().until(d -> browser.findElements(By.cssSelector("#related tbody tr[data-id]")).size() == Math.min(20, gatewayHosts));
        assertThat(browser.findElement(By.id("related-all")).getText()).isEqualTo("All " + gatewayHosts + " in the device list");
        assertThat(browser.findElement(By.id("related-all")).getAttribute("href")).contains("gateway=" + GATEWAY);
    }

    @Test
    void overviewShowsCountsPerDatacenterABannerForAnUnreachableOneAndTheLatestChanges() throws Exception {
        open("#/");
        waiting().until(d -> browser.findElements(By.cssSelector("#dc-counts tbody tr[data-dc]")).size() == SITES.size());
        List<WebElement> banners = browser.findElements(By.cssSelector("#problems [role=alert]"));
        assertThat(banners).hasSize(1);
        assertThat(banners.get(0).getText()).contains("sg-frankfurt", "unreachable");
        WebElement gaborone = browser.findElement(By.cssSelector("#dc-counts tr[data-dc='sg-gaborone']"));
        // Hosts: per gateway 11 online, 2 offline, 1 unknown; 3 unlocated online; the history host offline.
        assertThat(gaborone.findElements(By.tagName("td")).get(0).getText()).isEqualTo("25 / 5 / 2");
        assertThat(browser.findElements(By.cssSelector("#latest li[data-seq]"))).hasSize(20);
        int below = SITES.size() * 2 * 2; // the hosts offline for 17 h and 24 h
        assertThat(browser.findElement(By.id("below-title")).getText()).isEqualTo("Below target: " + below + " devices");
        assertThat(browser.findElements(By.cssSelector("#below tbody tr[data-id]"))).hasSize(Math.min(10, below));
        assertThat(browser.findElement(By.id("below-link")).getAttribute("href")).contains("below=1");
        assertThat(browser.findElements(By.cssSelector("a.report-link"))).hasSize(4);
        screenshot("explorer-overview.png");
        assertAccessible("overview");

        // Live: a change stored now is on top of the latest changes within 2 s, without a reload.
        Device gw = store.find("gw-tokyo-1").orElseThrow();
        store.apply(List.of(new Change(gw, EventType.UPDATED, Instant.now(), "firmware 7 -> 8")));
        new WebDriverWait(browser, Duration.ofSeconds(2)).until(d ->
                browser.findElement(By.cssSelector("#latest li:first-child")).getText().contains("gw-tokyo-1"));
        assertThat(browser.findElement(By.cssSelector("#latest li:first-child")).getText()).contains("UPDATED", "firmware 7 -> 8");
        assertThat(browser.findElements(By.cssSelector("#latest li[data-seq]"))).hasSize(20);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
