package io.edgemanifest.explorer.ui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Path;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/** Real headless Chromium for the UI tests: Debian's chromium + chromedriver, installed by ./edge test. */
public final class Browsers {

    private Browsers() {
    }

    /** Ends a UI test class: the browser first (it holds connections to the API), then the rest in order; nulls skipped. */
    public static void stop(WebDriver browser, AutoCloseable... rest) {
        if (browser != null) {
            browser.quit();
        }
        for (AutoCloseable c : rest) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing " + c + " failed", e);
                }
            }
        }
    }

    /** A new headless Chromium whose profile lives in {@code profileDir}; the caller quits it. */
    public static WebDriver chromium(Path profileDir) {
        File driver = new File("/usr/bin/chromedriver");
        File binary = new File("/usr/bin/chromium");
        assertThat(driver).as("chromedriver (Debian package chromium-driver; ./edge test installs it)").canRead();
        assertThat(binary).as("chromium (Debian package chromium; ./edge test installs it)").canRead();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(binary);
        // Headless, no sandbox as root, and no background networking, whose connections this
        // machine's closed network refuses.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,900", "--user-data-dir=" + profileDir);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
