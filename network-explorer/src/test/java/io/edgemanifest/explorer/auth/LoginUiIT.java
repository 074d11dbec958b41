package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.edgemanifest.explorer.TestStores;
import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import io.edgemanifest.explorer.ui.Browsers;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The login as a person meets it, in real headless Chromium: asked where they were going, and sent back there. */
class LoginUiIT {

    @TempDir
    static Path dir;

    private static DeviceStore store;
    private static ExplorerApi api;
    private static WebDriver browser;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        store = TestStores.h2(dir.resolve("login"));
        Path users = dir.resolve("explorer.users");
        Files.writeString(users, "alice:" + BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(5, "s3cret alice".toCharArray()) + "\n");
        api = new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS, Map::of,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> { },
                new WebConfig(CredentialsFile.load(users), Duration.ofHours(12), null, 0)).start("127.0.0.1", 0);
        base = "http://127.0.0.1:" + api.port();
        browser = Browsers.chromium(dir.resolve("chromium-profile"));
    }

    @AfterAll
    static void stop() {
        Browsers.stop(browser, api, store);
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(15));
    }

    private static void logIn(String password) {
        browser.findElement(By.id("username")).sendKeys("alice");
        browser.findElement(By.id("password")).sendKeys(password);
        browser.findElement(By.id("login-submit")).click();
    }

    @Test
    void aDeepLinkAsksForALoginLandsWhereItWasHeadedAndLogoutReturnsToTheLogin() {
        browser.get(base + "/#/nodes?status=offline");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("username")));
        assertThat(browser.getCurrentUrl()).startsWith(base + "/login?next=");
        assertThat(browser.findElements(By.id("view"))).as("no UI before the login").isEmpty();

        logIn("not the password");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("login-error")));
        assertThat(browser.findElement(By.id("login-error")).getText()).isEqualTo("Wrong user name or password.");

        logIn("s3cret alice");
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("user-name"), "alice"));
        assertThat(browser.getCurrentUrl()).isEqualTo(base + "/#/nodes?status=offline");
        assertThat(browser.findElement(By.id("logout")).getText()).isEqualTo("Log out");

        browser.findElement(By.id("logout")).click();
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("username")));
        assertThat(browser.getCurrentUrl()).startsWith(base + "/login");

        // The session is over on the server: the UI is closed again.
        browser.get(base + "/#/map");
        waiting().until(ExpectedConditions.presenceOfElementLocated(By.id("username")));
        assertThat(browser.getCurrentUrl()).startsWith(base + "/login?next=");
    }
}
