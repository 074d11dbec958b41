package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.explorer.store.StoreConfig;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in real headless Chromium (Debian's chromium + chromedriver, installed by ./edge test),
 * and the API's answers to bad requests, over a real H2 store.
 */
class ExplorerUiIT {

    private static final Instant NOW = Instant.now();

    @TempDir
    static Path dir;

    private static DeviceStore store;
    private static ExplorerApi api;
    private static WebDriver browser;
    private static String base;

    @BeforeAll
    static void start() {
        store = TestStores.h2(dir.resolve("ui"));
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            String id = String.format("host-%08d-0000-4000-8000-000000000000", i);
            boolean gaborone = i % 3 == 0;
            Device d = new Device(id, "host", i % 2 == 0 ? "sg-gaborone" : "sg-las-vegas",
                    i % 10 == 0 ? DeviceStatus.OFFLINE : DeviceStatus.ONLINE, NOW.minus(Duration.ofHours(5)), NOW, NOW,
                    "{\"id\":\"" + id + "\",\"kind\":\"HOST\"}", null, null, gaborone ? "Gaborone" : "Las Vegas",
                    gaborone ? "BW" : "US", Map.of("owner", "op" + i));
            changes.add(new Change(d, EventType.ONLINE, NOW.minus(Duration.ofHours(5)), "first seen"));
            if (i % 10 == 0) {
                changes.add(new Change(d, EventType.OFFLINE, NOW.minus(Duration.ofHours(1)), null));
            }
        }
        store.apply(changes);
        store.refreshAvailability(NOW);
        api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS,
                () -> Map.of("sg-gaborone", Map.of("reachable", true), "sg-las-vegas", Map.of("reachable", true)),
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + api.port();
        browser = io.edgemanifest.explorer.ui.Browsers.chromium(dir.resolve("chromium-profile"));
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (api != null) {
            api.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    private static List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#nodes tbody tr[data-id]"));
    }

    @Test
    void loadFilterOpenANodeAndSeeItsEvents() throws Exception {
        browser.get(base + "/");
        waiting().until(d -> rows().size() == 50);
        assertThat(browser.findElement(By.id("count")).getText()).contains("108 devices"); // online by default
        assertThat(rows().get(0).getText()).contains("online");
        Files.createDirectories(Path.of("target"));
        Files.write(Path.of("target", "explorer-nodes.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));

        WebElement search = browser.findElement(By.id("f-q"));
        search.sendKeys("gaborone");
        waiting().until(d -> browser.findElement(By.id("count")).getText().startsWith("36 devices"));
        assertThat(rows()).allSatisfy(r -> assertThat(r.getText()).contains("Gaborone"));

        browser.findElement(By.id("f-offline")).click();
        waiting().until(d -> browser.findElement(By.id("count")).getText().startsWith("40 devices"));

        WebElement first = rows().get(0);
        String id = first.getAttribute("data-id");
        first.findElement(By.cssSelector("td a")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("node-title"), id));
        waiting().until(d -> !browser.findElements(By.cssSelector("#events li")).isEmpty());
        List<String> events = browser.findElements(By.cssSelector("#events li")).stream().map(WebElement::getText).toList();
        assertThat(events).anySatisfy(e -> assertThat(e).contains("ONLINE"));
        assertThat(browser.findElements(By.cssSelector("#chart > div"))).hasSize(24);

        Path shot = Path.of("target", "explorer-ui.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void datacentersPageListsEveryDatacenter() {
        browser.get(base + "/#/datacenters");
        waiting().until(d -> browser.findElements(By.cssSelector("#dcs tbody tr")).size() == 2);
        assertThat(browser.findElement(By.id("dcs")).getText()).contains("sg-gaborone", "sg-las-vegas");
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
        assertThat(get("/api/nodes?status=online&limit=5").body()).contains("\"total\":108", "\"nextCursor\"");
        assertThat(get("/api/summary").body()).contains("\"devices\":120");
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/metrics").statusCode()).isEqualTo(200);

        HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/api/nodes"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isBetween(400, 499);
        assertThat(store.list(new io.edgemanifest.explorer.store.DeviceQuery(null, null, null, null, null, "id", 10, null),
                NOW).total()).isEqualTo(120);
    }
}
