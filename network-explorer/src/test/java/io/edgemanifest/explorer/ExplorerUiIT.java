package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.explorer.ui.Axe;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI's devices and datacenters views in real headless Chromium (Debian's chromium +
 * chromedriver, installed by ./edge test) over a real H2 store seeded directly: the address as
 * state, the status control's counts, live updates, CSV export, hostile record values, axe-core in
 * both themes; and the API's answers to bad requests. One browser for the class.
 */
class ExplorerUiIT {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ExplorerUiIT.class);

    private static final Instant NOW = Instant.now();
    private static final String HOSTILE_DC = "dc\"'><b>x";
    private static final String HOSTILE_CITY = "<img src=x onerror=\"window.__pwned=1\">";
    private static final String HOSTILE_COUNTRY = "<script>window.__pwned=2</script>";
    private static final String LIVE_ID = "host-live-0000";

    @TempDir
    static Path dir;

    private static DeviceStore store;
    private static ExplorerApi api;
    private static WebDriver browser;
    private static String base;

    /**
     * 120 hosts: even ones in sg-gaborone behind gw-gab-1, odd ones in sg-las-vegas behind gw-lv-1,
     * every tenth offline; two gateways and a stargate; a host whose record values are markup, in a
     * quote-laden datacenter; and one host in sg-live that the live test flips.
     */
    @BeforeAll
    static void start() {
        store = TestStores.h2(dir.resolve("ui"));
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String id = String.format("host-%08d-0000-4000-8000-000000000000", i);
            boolean gaborone = i % 2 == 0;
            Device d = device(id, "host", gaborone ? "sg-gaborone" : "sg-las-vegas", gaborone ? "gw-gab-1" : "gw-lv-1",
                    i % 10 == 0 ? DeviceStatus.OFFLINE : DeviceStatus.ONLINE, gaborone ? "Gaborone" : "Las Vegas",
                    gaborone ? "BW" : "US", Map.of("owner", "op" + i));
            changes.add(new Change(d, EventType.ONLINE, NOW.minus(Duration.ofHours(5)), "first seen"));
            if (i % 10 == 0) {
                changes.add(new Change(d, EventType.OFFLINE, NOW.minus(Duration.ofHours(1)), null));
            }
        }
        for (Device d : List.of(
                device("gw-gab-1", "gateway", "sg-gaborone", null, DeviceStatus.ONLINE, "Gaborone", "BW", Map.of()),
                device("gw-lv-1", "gateway", "sg-las-vegas", null, DeviceStatus.ONLINE, "Las Vegas", "US", Map.of()),
                device("star-gab", "stargate", "sg-gaborone", null, DeviceStatus.ONLINE, "Gaborone", "BW", Map.of()),
                device("host-hostile", "host", HOSTILE_DC, null, DeviceStatus.ONLINE, HOSTILE_CITY, HOSTILE_COUNTRY,
                        Map.of("owner", "<script>window.__pwned=3</script>", "note", "<img src=y onerror=\"window.__pwned=4\">")),
                device(LIVE_ID, "host", "sg-live", null, DeviceStatus.ONLINE, "Live", "ZZ", Map.of()))) {
            changes.add(new Change(d, EventType.ONLINE, NOW.minus(Duration.ofHours(5)), "first seen"));
        }
        store.apply(changes);
        store.refreshAvailability(NOW);
        api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS,
                () -> Map.of("sg-gaborone", Map.of("state", "ok", "reachable", true, "lagMillis", 1200),
                        "sg-las-vegas", Map.of("state", "ok", "reachable", true, "lagMillis", 800)),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + api.port();
        browser = Browsers.chromium(dir.resolve("chromium-profile"));
    }

    private static Device device(String id, String kind, String dc, String gateway, DeviceStatus status, String city,
                                 String country, Map<String, String> labels) {
        return new Device(id, kind, dc, status, NOW.minus(Duration.ofHours(5)), NOW,
                status == DeviceStatus.OFFLINE ? NOW.minus(Duration.ofHours(1)) : NOW.minus(Duration.ofHours(5)),
                "{\"id\":\"" + id + "\",\"kind\":\"" + kind.toUpperCase(java.util.Locale.ROOT) + "\"}", null, gateway,
                city, country, labels);
    }

    @AfterAll
    static void stop() {
        Browsers.stop(browser, api, store);
    }

    /** Every test starts from a clean page: system theme, live updates on. */
    @BeforeEach
    void freshPage() {
        browser.get(base + "/#/datacenters");
        js("localStorage.clear()");
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    private static List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#nodes tbody tr[data-id]"));
    }

    private static String cell(WebElement row, String col) {
        return row.findElement(By.cssSelector("td[data-col='" + col + "']")).getText();
    }

    private static String hash() {
        return (String) js("return location.hash");
    }

    /** Loads the page afresh at that address (a bare hash change would not reload it). */
    private static void open(String hash) {
        browser.get("about:blank");
        browser.get(base + "/" + hash);
        // the view has rendered when <main> is no longer busy
        waiting().until(d -> js("return document.getElementById('view').getAttribute('aria-busy')") == null
                && !d.findElements(By.cssSelector("#view h2")).isEmpty());
    }

    private static boolean checked(String id) {
        return browser.findElement(By.id(id)).isSelected();
    }

    private static String ariaSort(String col) {
        return browser.findElement(By.cssSelector("#nodes th[data-col='" + col + "']")).getAttribute("aria-sort");
    }

    @Test
    void aFilteredSortedAddressOpensWithItsControlsAndRowsAndEveryChangeIsInTheAddress() throws Exception {
        open("#/nodes?status=offline&kind=host&datacenter=sg-gaborone&sort=-id");
        waiting().until(d -> rows().size() == 12);
        assertThat(checked("f-status-offline")).isTrue();
        assertThat(checked("f-status-online")).isFalse();
        assertThat(new Select(browser.findElement(By.id("f-kind"))).getFirstSelectedOption().getAttribute("value")).isEqualTo("host");
        assertThat(browser.findElement(By.id("f-dc")).getAttribute("value")).isEqualTo("sg-gaborone");
        assertThat(ariaSort("id")).isEqualTo("descending");
        assertThat(ariaSort("lastSeen")).isEqualTo("none");
        assertThat(rows().get(0).getAttribute("data-id")).startsWith("host-00000110");
        assertThat(rows()).allSatisfy(r -> {
            assertThat(cell(r, "status")).startsWith("offline");
            assertThat(cell(r, "datacenter")).isEqualTo("sg-gaborone");
        });
        assertThat(browser.findElement(By.id("count")).getText()).startsWith("12 devices");

        // A discrete change (status) pushes a new address; back and forward walk it.
        browser.findElement(By.cssSelector("label[for='f-status-all']")).click();
        waiting().until(d -> hash().contains("status=all") && rows().size() == 50);
        assertThat(hash()).isEqualTo("#/nodes?status=all&kind=host&datacenter=sg-gaborone&sort=-id");
        assertThat(browser.findElement(By.id("count")).getText()).startsWith("60 devices");
        browser.navigate().back();
        waiting().until(d -> rows().size() == 12 && checked("f-status-offline"));
        browser.navigate().forward();
        waiting().until(d -> rows().size() == 50 && checked("f-status-all"));

        // A header is a button: the sort flips, the address follows (id ascending is the default: left out).
        browser.findElement(By.cssSelector("#nodes th[data-col='id'] button")).click();
        waiting().until(d -> "ascending".equals(ariaSort("id")));
        waiting().until(d -> rows().get(0).getAttribute("data-id").startsWith("host-00000000"));
        assertThat(hash()).isEqualTo("#/nodes?status=all&kind=host&datacenter=sg-gaborone");

        // Pages: the cursor is in the address; Previous comes back.
        browser.findElement(By.id("next")).click();
        waiting().until(d -> hash().contains("cursor=") && rows().size() == 10);
        assertThat(rows().get(0).getAttribute("data-id")).startsWith("host-00000100");
        browser.navigate().refresh();
        waiting().until(d -> rows().size() == 10 && checked("f-status-all"));
        browser.findElement(By.id("first")).click();
        waiting().until(d -> !hash().contains("cursor=") && rows().size() == 50);

        // Typing replaces the current history entry instead of adding one per keystroke.
        long entries = (Long) js("return history.length");
        browser.findElement(By.id("f-q")).sendKeys("0000001");
        waiting().until(d -> hash().contains("q=0000001") && rows().size() == 5);
        assertThat((Long) js("return history.length")).isEqualTo(entries);

        // Reload: the same view.
        browser.navigate().refresh();
        waiting().until(d -> rows().size() == 5);
        assertThat(browser.findElement(By.id("f-q")).getAttribute("value")).isEqualTo("0000001");
        assertThat(checked("f-status-all")).isTrue();
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "explorer-nodes.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void anAddressThatSaysNothingShowsOnlineDevicesOnly() {
        open("#/nodes?kind=host&datacenter=sg-gaborone");
        waiting().until(d -> rows().size() == 48);
        assertThat(checked("f-status-online")).isTrue();
        assertThat(rows()).allSatisfy(r -> assertThat(cell(r, "status")).startsWith("online"));
        assertThat(rows().get(0).findElement(By.cssSelector("td[data-col='lastSeen'] time")).getAttribute("title"))
                .as("the exact local time on hover").matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC[+-]\\d\\d:\\d\\d");
    }

    /** Needs /api/nodes/counts (helper B's part of #13). */
    @Test
    void theStatusControlCountsEachStatusUnderTheOtherFilters() {
        open("#/nodes?kind=host&datacenter=sg-gaborone");
        waiting().until(d -> !d.findElement(By.id("count-all")).getText().isEmpty());
        assertThat(browser.findElement(By.id("count-all")).getText()).isEqualTo("60");
        assertThat(browser.findElement(By.id("count-online")).getText()).isEqualTo("48");
        assertThat(browser.findElement(By.id("count-offline")).getText()).isEqualTo("12");
        assertThat(browser.findElement(By.id("count-unknown")).getText()).isEqualTo("0");
        browser.findElement(By.id("f-q")).sendKeys("0000001");
        waiting().withMessage(() -> "count-all " + browser.findElement(By.id("count-all")).getText() + " at " + hash())
                .until(d -> "5".equals(d.findElement(By.id("count-all")).getText()));
        assertThat(browser.findElement(By.id("count-offline")).getText()).isEqualTo("1");
    }

    @Test
    void theCsvLinkCarriesTheListsFiltersAndSort() throws Exception {
        open("#/nodes?status=offline&kind=host&datacenter=sg-gaborone&sort=-id");
        waiting().until(d -> rows().size() == 12);
        String href = browser.findElement(By.id("csv-link")).getAttribute("href");
        assertThat(href).isEqualTo(base + "/api/nodes.csv?kind=host&status=offline&datacenter=sg-gaborone&sort=-id");
        browser.findElement(By.cssSelector("label[for='f-status-all']")).click();
        waiting().until(d -> d.findElement(By.id("csv-link")).getAttribute("href")
                .equals(base + "/api/nodes.csv?kind=host&datacenter=sg-gaborone&sort=-id"));
    }

    /** Needs /api/nodes.csv (helper B's part of #13). */
    @Test
    void theCsvExportHasTheRowsTheListShows() throws Exception {
        open("#/nodes?status=offline&kind=host&datacenter=sg-gaborone&sort=-id");
        waiting().until(d -> rows().size() == 12);
        HttpResponse<String> csv = get(URI.create(browser.findElement(By.id("csv-link")).getAttribute("href")).getRawPath()
                + "?" + URI.create(browser.findElement(By.id("csv-link")).getAttribute("href")).getRawQuery());
        assertThat(csv.statusCode()).isEqualTo(200);
        List<String> lines = csv.body().lines().toList();
        assertThat(lines.get(0)).startsWith("id,kind,status,datacenter");
        assertThat(lines.subList(1, lines.size())).map(l -> l.substring(0, l.indexOf(',')))
                .containsExactlyElementsOf(rows().stream().map(r -> r.getAttribute("data-id")).toList());
    }

    /** Needs /api/stream (helper B's part of #13). */
    @Test
    void aDeviceChangeUpdatesItsRowWithinTwoSecondsAndPauseHoldsUpdatesUntilResume() {
        open("#/nodes?status=all&datacenter=sg-live");
        waiting().until(d -> rows().size() == 1 && "live".equals(d.findElement(By.id("live-state")).getAttribute("data-state")));
        assertThat(browser.findElement(By.id("live-state")).getAttribute("role")).isEqualTo("status");
        assertThat(cell(rows().get(0), "status")).startsWith("online");
        String before = browser.findElement(By.id("count-offline")).getText();

        Instant t = Instant.now();
        store.apply(List.of(new Change(device(LIVE_ID, "host", "sg-live", null, DeviceStatus.OFFLINE, "Live", "ZZ", Map.of()),
                EventType.OFFLINE, t, "test")));
        new WebDriverWait(browser, Duration.ofSeconds(2)).pollingEvery(Duration.ofMillis(50))
                .until(d -> cell(rows().get(0), "status").startsWith("offline"));
        log.info("live: the row showed the stored change {} ms after store.apply", Duration.between(t, Instant.now()).toMillis());
        waiting().until(d -> !before.equals(d.findElement(By.id("count-offline")).getText()));
        assertThat(browser.findElement(By.id("count-offline")).getText()).isEqualTo("1");

        browser.findElement(By.id("live-toggle")).click();
        waiting().until(d -> "paused".equals(d.findElement(By.id("live-state")).getAttribute("data-state")));
        assertThat(browser.findElement(By.id("live-state")).getText()).isEqualTo("Paused");
        assertThat(js("return localStorage.getItem('explorer.live.paused')")).isEqualTo("true");
        store.apply(List.of(new Change(device(LIVE_ID, "host", "sg-live", null, DeviceStatus.ONLINE, "Live", "ZZ", Map.of()),
                EventType.ONLINE, Instant.now(), "test")));
        // Paused: the change is stored, the row keeps showing what it showed.
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                .until(() -> cell(rows().get(0), "status").startsWith("offline"));

        browser.findElement(By.id("live-toggle")).click();
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(d -> !rows().isEmpty() && cell(rows().get(0), "status").startsWith("online"));
        waiting().until(d -> "live".equals(d.findElement(By.id("live-state")).getAttribute("data-state")));
        assertThat(js("return localStorage.getItem('explorer.live.paused')")).isEqualTo("false");

        // The datacenters view's counts move too.
        open("#/datacenters");
        By liveHosts = By.cssSelector("#dcs tbody tr[data-dc='sg-live'] td:nth-of-type(6)");
        waiting().until(d -> "1 / 0 / 0".equals(d.findElement(liveHosts).getText())
                && "live".equals(d.findElement(By.id("live-state")).getAttribute("data-state")));
        store.apply(List.of(new Change(device(LIVE_ID, "host", "sg-live", null, DeviceStatus.OFFLINE, "Live", "ZZ", Map.of()),
                EventType.OFFLINE, Instant.now(), "test")));
        new WebDriverWait(browser, Duration.ofSeconds(5)).until(d -> "0 / 1 / 0".equals(d.findElement(liveHosts).getText()));
    }

    @Test
    void markupInRecordValuesAndDatacenterNamesRendersAsText() {
        open("#/nodes?status=all&q=host-hostile");
        waiting().until(d -> rows().size() == 1);
        WebElement row = rows().get(0);
        assertThat(cell(row, "location")).isEqualTo(HOSTILE_CITY + ", " + HOSTILE_COUNTRY);
        assertThat(cell(row, "datacenter")).isEqualTo(HOSTILE_DC);
        assertThat(browser.findElements(By.cssSelector("#view img, #view script, #view b"))).isEmpty();
        assertThat(js("return window.__pwned")).isNull();

        open("#/datacenters");
        waiting().until(d -> d.findElements(By.cssSelector("#dcs tbody tr[data-dc]")).size() == 4);
        WebElement link = browser.findElements(By.cssSelector("#dcs a.dc-link")).stream()
                .filter(a -> a.getText().equals(HOSTILE_DC)).findFirst().orElseThrow();
        assertThat(link.getAttribute("href")).isEqualTo(base + "/#/nodes?status=all&datacenter=" + js("return encodeURIComponent(arguments[0])", HOSTILE_DC));
        assertThat(link.getAttribute("onclick")).isNull();
        assertThat(browser.findElements(By.cssSelector("#view img, #view script, #view b"))).isEmpty();
        link.click();
        waiting().until(d -> rows().size() == 1);
        assertThat(browser.findElement(By.id("f-dc")).getAttribute("value")).isEqualTo(HOSTILE_DC);
        assertThat(rows().get(0).getAttribute("data-id")).isEqualTo("host-hostile");
        assertThat(js("return window.__pwned")).isNull();
    }

    @Test
    void theDatacentersViewListsEachWithReplicateStateAndItsDevices() {
        open("#/datacenters");
        waiting().until(d -> d.findElements(By.cssSelector("#dcs tbody tr[data-dc]")).size() == 4);
        WebElement gaborone = browser.findElement(By.cssSelector("#dcs tbody tr[data-dc='sg-gaborone']"));
        assertThat(gaborone.getText()).contains("sg-gaborone", "ok", "1 s", "48 / 12 / 0");
        assertThat(browser.findElement(By.cssSelector("#dcs tbody tr[data-dc='sg-live']")).getText()).contains("sg-live");
    }

    /** Needs /api/datacenters/{dc}/gateways (helper B's part of #13). */
    @Test
    void theDatacentersViewCountsHostsPerGatewayWithLinksToThem() {
        open("#/datacenters");
        waiting().until(d -> !d.findElements(By.cssSelector("#dcs tbody tr[data-dc='sg-gaborone']")).isEmpty());
        WebElement toggle = browser.findElement(By.cssSelector("#dcs tbody tr[data-dc='sg-gaborone'] button"));
        toggle.click();
        assertThat(toggle.getAttribute("aria-expanded")).isEqualTo("true");
        WebElement gw = waiting().until(d -> d.findElements(By.cssSelector("tr[data-gateway='gw-gab-1']")).stream().findFirst().orElse(null));
        assertThat(gw.getText()).contains("gw-gab-1", "48", "12");
        assertThat(gw.findElement(By.cssSelector("a.online-text")).getAttribute("href")).isEqualTo(base + "/#/nodes?gateway=gw-gab-1");
        gw.findElement(By.cssSelector("a.offline-text")).click();
        waiting().until(d -> rows().size() == 12);
        assertThat(hash()).isEqualTo("#/nodes?status=offline&gateway=gw-gab-1");
    }

    @Test
    void routeChangesMoveFocusToTheViewsHeadingAndTheSkipLinkToTheContent() {
        open("#/datacenters");
        browser.findElement(By.id("nav-nodes")).click();
        waiting().until(d -> "H2".equals(js("return document.activeElement.tagName")));
        assertThat(js("return document.activeElement.textContent")).isEqualTo("Devices");
        assertThat(browser.findElement(By.id("nav-nodes")).getAttribute("aria-current")).isEqualTo("page");
        // The skip link shows when focused, as it is for a keyboard user.
        js("document.querySelector('a.skip').focus()");
        browser.findElement(By.cssSelector("a.skip")).sendKeys(org.openqa.selenium.Keys.ENTER);
        assertThat(js("return document.activeElement.id")).isEqualTo("view");
        assertThat(hash()).isEqualTo("#/nodes");
    }

    @Test
    void theThemeToggleCyclesSystemLightDarkAndIsRemembered() {
        open("#/nodes");
        WebElement toggle = browser.findElement(By.id("theme-toggle"));
        assertThat(toggle.getText()).isEqualTo("Theme: System");
        String system = (String) js("return document.documentElement.dataset.theme");
        assertThat(system).isIn("light", "dark");
        toggle.click();
        assertThat(js("return document.documentElement.dataset.theme")).isEqualTo("light");
        toggle.click();
        assertThat(js("return document.documentElement.dataset.theme")).isEqualTo("dark");
        assertThat(js("return getComputedStyle(document.body).backgroundColor")).isEqualTo("rgb(17, 20, 26)");
        browser.navigate().refresh();
        waiting().until(d -> "dark".equals(js("return document.documentElement.dataset.theme")));
        assertThat(browser.findElement(By.id("theme-toggle")).getText()).isEqualTo("Theme: Dark");
    }

    @Test
    void theDevicesAndDatacentersViewsHaveNoSeriousAccessibilityViolationsInEitherTheme() throws Exception {
        for (String theme : List.of("light", "dark")) {
            Axe.chooseTheme(browser, theme);
            open("#/nodes?status=all&kind=host&datacenter=sg-gaborone");
            waiting().until(d -> rows().size() == 50);
            assertThat(js("return document.documentElement.dataset.theme")).isEqualTo(theme);
            Axe.assertClean(browser, "devices, " + theme);
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target", "explorer-nodes-" + theme + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

            open("#/datacenters");
            waiting().until(d -> d.findElements(By.cssSelector("#dcs tbody tr[data-dc]")).size() == 4);
            Axe.assertClean(browser, "datacenters, " + theme);
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void badParametersAre400NamingThemAndUnknownIdsAre404() throws Exception {
        for (String bad : List.of("limit=abc", "limit=0", "status=sleeping", "kind=toaster", "sort=password", "cursor=forged",
                "belowTarget=maybe")) {
            HttpResponse<String> r = get("/api/nodes?" + bad);
            assertThat(r.statusCode()).as(bad).isEqualTo(400);
            assertThat(r.body()).as(bad).startsWith("{\"error\":").contains(bad.substring(0, bad.indexOf('=')));
        }
        assertThat(get("/api/nodes/host-nope").statusCode()).isEqualTo(404);
        assertThat(get("/api/nodes/host-nope/events").body()).contains("\"error\"");
        assertThat(get("/api/nodes?status=online&kind=host&datacenter=sg-gaborone&limit=5").body()).contains("\"total\":48", "\"nextCursor\"");
        assertThat(get("/api/summary").body()).contains("\"devices\":125");
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/metrics").statusCode()).isEqualTo(200);

        HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/nodes"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isBetween(400, 499);
        assertThat(store.list(new io.edgemanifest.explorer.store.DeviceQuery(null, null, null, null, null, "id", 10, null),
                NOW).total()).isEqualTo(125);
    }
}
