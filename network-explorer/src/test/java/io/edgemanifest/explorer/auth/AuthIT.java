package io.edgemanifest.explorer.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.edgemanifest.explorer.TestStores;
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
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The login gate over the real ExplorerApi (Javalin, static files from the classpath) on a real H2
 * store, driven with the JDK's HttpClient, which follows no redirects: every answer is seen as sent.
 */
class AuthIT {

    private static final String PASSWORD = "correct horse battery staple";

    @TempDir
    static Path dir;

    private static DeviceStore store;
    private static Path users;
    private static ExplorerApi api;
    private static String base;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        store = TestStores.h2(dir.resolve("auth"));
        Instant now = Instant.now();
        Device d = new Device("host-00000001-0000-4000-8000-000000000000", "host", "sg-gaborone", DeviceStatus.ONLINE,
                now, now, now, "{\"kind\":\"HOST\"}", null, null, "Gaborone", "BW", Map.of());
        store.apply(List.of(new Change(d, EventType.ONLINE, now, "first seen")));
        users = dir.resolve("explorer.users");
        Files.writeString(users, "# admins of the Explorer\n\nalice:" + hash(PASSWORD) + "\nbob:" + hash("bobs secret") + "\n");
        api = newApi(new WebConfig(CredentialsFile.load(users), Duration.ofHours(12), null, 0));
        base = "http://127.0.0.1:" + api.port();
    }

    private static ExplorerApi newApi(WebConfig web) {
        return new ExplorerApi(store, Clock.systemUTC(), StoreConfig.DEFAULT_TARGETS, Map::of,
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), () -> { }, web).start("127.0.0.1", 0);
    }

    /** As htpasswd -B writes it ($2y$), at a low cost so that the tests stay quick. */
    private static String hash(String password) {
        return BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(5, password.toCharArray());
    }

    @AfterAll
    static void stop() {
        if (api != null) {
            api.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static HttpResponse<String> get(String url, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return get(base + path, null);
    }

    private static HttpResponse<String> post(String url, Map<String, String> form, Map<String, String> headers) throws Exception {
        StringBuilder body = new StringBuilder();
        form.forEach((k, v) -> body.append(body.isEmpty() ? "" : "&").append(k).append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> login(String baseUrl, String user, String password, String next) throws Exception {
        return post(baseUrl + "/login", Map.of("username", user, "password", password, "next", next), Map.of());
    }

    /** Logs in and returns the "name=token" pair to send back as the Cookie header. */
    private static String session() throws Exception {
        HttpResponse<String> r = login(base, "alice", PASSWORD, "/");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(303);
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        return setCookie.substring(0, setCookie.indexOf(';'));
    }

    @Test
    void withoutASessionTheApiIs401AndPagesAndStaticFilesRedirectToTheLoginOnlyHealthzAndTheLoginPageAnswer() throws Exception {
        for (String path : List.of("/api/nodes", "/api/summary", "/api/me", "/api/nodes/host-00000001-0000-4000-8000-000000000000",
                "/api/nothing-here", "/metrics")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.body()).as(path).isEqualTo("{\"error\":\"login required\"}");
            assertThat(r.headers().firstValue("Content-Type").orElse("")).as(path).startsWith("application/json");
        }
        // Javalin's static-file handler goes through the gate too: no UI code without a session.
        for (String path : List.of("/", "/index.html", "/js/main.js", "/js/api.js", "/js/views/nodes.js", "/no-such-page")) {
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(302);
            assertThat(r.headers().firstValue("Location")).as(path)
                    .contains("/login?next=" + URLEncoder.encode(path, StandardCharsets.UTF_8));
            assertThat(r.body()).as(path).doesNotContain("import", "<script");
        }
        assertThat(get("/js/main.js?v=1").headers().firstValue("Location")).contains("/login?next=%2Fjs%2Fmain.js%3Fv%3D1");

        assertThat(get("/healthz").statusCode()).isEqualTo(200);
        assertThat(get("/app.css").statusCode()).isEqualTo(200);
        HttpResponse<String> page = get("/login?next=%2Fjs%2Fmain.js");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
        assertThat(page.body()).contains("<form method=\"post\"", "name=\"username\"", "name=\"password\"",
                "name=\"next\" value=\"/js/main.js\"", "/app.css").doesNotContain("<script", "style=", "onclick", "login-error");
    }

    @Test
    void pathTricksAroundTheOpenPathsServeNoUiCode() throws Exception {
        // The open paths are matched exactly; whatever else a path says, without a session it gets no file.
        for (String path : List.of("/app.css/../js/main.js", "/login/../js/main.js", "/healthz/../index.html",
                "/%6As/main.js", "//js/main.js", "/js/main.js;/app.css", "/app.css;/../js/main.js", "/js/./main.js",
                "/JS/MAIN.JS", "/js%2Fmain.js", "/index.html%00/app.css")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isNotEqualTo(200);
            assertThat(r.body()).as(path).doesNotContain("import ", "<script");
        }
    }

    @Test
    void aWrongPasswordOrAnUnknownUserGetsNoCookieAndTheSameGenericAnswer() throws Exception {
        HttpResponse<String> wrong = login(base, "bob", "not bobs secret", "/#/nodes");
        HttpResponse<String> unknown = login(base, "mallory", "anything", "/#/nodes");
        for (HttpResponse<String> r : List.of(wrong, unknown)) {
            assertThat(r.statusCode()).isEqualTo(303);
            assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
            assertThat(r.headers().firstValue("Location")).contains("/login?error&next=%2F%23%2Fnodes");
        }
        HttpResponse<String> page = get("/login?error&next=%2F");
        assertThat(page.body()).contains("Wrong user name or password.").doesNotContain("bob", "mallory");
    }

    @Test
    void aGoodLoginSetsAStrictHttpOnlyCookieAndOpensTheApiAndTheUi() throws Exception {
        HttpResponse<String> r = login(base, "alice", PASSWORD, "/#/nodes?status=offline");
        assertThat(r.statusCode()).isEqualTo(303);
        assertThat(r.headers().firstValue("Location")).contains("/#/nodes?status=offline");
        String setCookie = r.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).matches("explorer_session=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict")
                .doesNotContain("Secure");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));

        assertThat(get(base + "/api/me", cookie).body()).isEqualTo("{\"user\":\"alice\",\"auth\":true}");
        assertThat(get(base + "/api/nodes", cookie).body()).contains("\"total\":1");
        assertThat(get(base + "/js/main.js", cookie).body()).contains("import");
        assertThat(get(base + "/", cookie).body()).contains("<main id=\"view\"");
        assertThat(get(base + "/metrics", cookie).statusCode()).isEqualTo(200);
        // A logged-in visit to the login page goes on to where it was headed.
        assertThat(get(base + "/login?next=%2F%23%2Fmap", cookie).headers().firstValue("Location")).contains("/#/map");
        // Forged or foreign tokens open nothing.
        assertThat(get(base + "/api/nodes", "explorer_session=" + "A".repeat(43)).statusCode()).isEqualTo(401);

        // Behind a TLS proxy the cookie is Secure too.
        HttpResponse<String> proxied = post(base + "/login", Map.of("username", "alice", "password", PASSWORD, "next", "/"),
                Map.of("X-Forwarded-Proto", "https"));
        assertThat(proxied.headers().firstValue("Set-Cookie").orElseThrow()).endsWith("; Secure");
    }

    @Test
    void nextNeverLeadsToAnotherSite() throws Exception {
        for (String evil : List.of("//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
                "javascript:alert(1)", "/\t/evil.example", " //evil.example", "http:/evil.example")) {
            HttpResponse<String> r = login(base, "alice", PASSWORD, evil);
            assertThat(r.statusCode()).as(evil).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as(evil).contains("/");
            HttpResponse<String> page = get("/login?next=" + URLEncoder.encode(evil, StandardCharsets.UTF_8));
            assertThat(page.body()).as(evil).contains("name=\"next\" value=\"/\"");
        }
        assertThat(WebSecurity.safeNext("/#/node/x?range=7d")).isEqualTo("/#/node/x?range=7d");
    }

    @Test
    void markupInNextNeverReachesTheLoginPage() throws Exception {
        String next = "/#/nodes?q=\"><script>alert(1)</script>";
        HttpResponse<String> page = get("/login?next=" + URLEncoder.encode(next, StandardCharsets.UTF_8));
        assertThat(page.body()).doesNotContain("<script>", "alert(1)").contains("name=\"next\" value=\"/\"");
        assertThat(LoginPage.escape("\"><script>'&")).isEqualTo("&quot;&gt;&lt;script&gt;&#39;&amp;");
    }

    @Test
    void repeatedFailuresAre429WithRetryAfterForTheAddressAndThenEvenTheRightPasswordWaits() throws Exception {
        // Its own Explorer: the failures here must not hold the other tests' logins off.
        ExplorerApi own = newApi(new WebConfig(CredentialsFile.load(users), Duration.ofHours(12), null, 0));
        try {
            String ownBase = "http://127.0.0.1:" + own.port();
            for (int i = 0; i < 5; i++) {
                assertThat(login(ownBase, "alice", "guess " + i, "/").statusCode()).isEqualTo(303);
            }
            HttpResponse<String> limited = login(ownBase, "alice", "guess 6", "/");
            assertThat(limited.statusCode()).isEqualTo(429);
            assertThat(Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
            assertThat(limited.body()).contains("Too many failed logins");
            HttpResponse<String> right = login(ownBase, "alice", PASSWORD, "/");
            assertThat(right.statusCode()).isEqualTo(429);
            assertThat(right.headers().firstValue("Set-Cookie")).isEmpty();
            // the address is limited, whoever it tries
            assertThat(login(ownBase, "bob", "bobs secret", "/").statusCode()).isEqualTo(429);
        } finally {
            own.close();
        }
    }

    @Test
    void aLiveStreamEndsWithTheSessionThatOpenedIt() throws Exception {
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/api/stream")).header("Accept", "text/event-stream")
                .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).as("no session, no stream").isEqualTo(401);
        String cookie = session();
        HttpResponse<java.io.InputStream> stream = http.send(HttpRequest.newBuilder(URI.create(base + "/api/stream"))
                .header("Accept", "text/event-stream").header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        java.util.concurrent.CompletableFuture<String> rest = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try (java.io.InputStream in = stream.body()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8); // returns when the server ends the stream
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(post(base + "/logout", Map.of(), Map.of("Cookie", cookie, "Origin", base)).statusCode()).isEqualTo(303);
        // A change after the logout: the stream must end instead of carrying it to a logged-out page.
        Instant now = Instant.now();
        Device d = new Device("host-00000002-0000-4000-8000-000000000000", "host", "sg-gaborone", DeviceStatus.OFFLINE,
                now, now, now, "{\"kind\":\"HOST\"}", null, null, "Maun", "BW", Map.of());
        store.apply(List.of(new Change(d, EventType.OFFLINE, now, "after logout")));
        String received = rest.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(received).containsPattern("event: ?counts").doesNotContain("host-00000002");
    }

    @Test
    void logoutEndsTheSessionOnTheServerNotOnlyInTheBrowser() throws Exception {
        String cookie = session();
        assertThat(get(base + "/api/nodes", cookie).statusCode()).isEqualTo(200);
        HttpResponse<String> out = post(base + "/logout", Map.of(), Map.of("Cookie", cookie, "Origin", base));
        assertThat(out.statusCode()).isEqualTo(303);
        assertThat(out.headers().firstValue("Location")).contains("/login");
        assertThat(out.headers().firstValue("Set-Cookie").orElseThrow()).contains("explorer_session=;", "Max-Age=0");
        // The token a thief copied is worth nothing after the owner logged out.
        assertThat(get(base + "/api/nodes", cookie).statusCode()).isEqualTo(401);
    }

    @Test
    void crossSiteLoginAndLogoutPostsAreRefused() throws Exception {
        HttpResponse<String> forged = post(base + "/login", Map.of("username", "alice", "password", PASSWORD, "next", "/"),
                Map.of("Origin", "http://evil.example"));
        assertThat(forged.statusCode()).isEqualTo(403);
        assertThat(forged.headers().firstValue("Set-Cookie")).isEmpty();
        HttpResponse<String> nullOrigin = post(base + "/login", Map.of("username", "alice", "password", PASSWORD, "next", "/"),
                Map.of("Origin", "null"));
        assertThat(nullOrigin.statusCode()).isEqualTo(403);
        HttpResponse<String> referer = post(base + "/login", Map.of("username", "alice", "password", PASSWORD, "next", "/"),
                Map.of("Referer", "http://evil.example/page"));
        assertThat(referer.statusCode()).isEqualTo(403);

        String cookie = session();
        HttpResponse<String> out = post(base + "/logout", Map.of(), Map.of("Cookie", cookie, "Origin", "http://evil.example"));
        assertThat(out.statusCode()).isEqualTo(403);
        assertThat(get(base + "/api/nodes", cookie).statusCode()).isEqualTo(200);
        // From this very page (what a browser sends) both work.
        assertThat(post(base + "/login", Map.of("username", "alice", "password", PASSWORD, "next", "/"),
                Map.of("Origin", base)).headers().firstValue("Set-Cookie")).isPresent();
    }

    @Test
    void securityHeadersAreOnApiStaticLoginErrorAndNotFoundAnswers() throws Exception {
        String cookie = session();
        for (HttpResponse<String> r : List.of(get(base + "/api/nodes", cookie), get(base + "/js/main.js", cookie),
                get(base + "/", cookie), get(base + "/login", null), get(base + "/api/nodes", null), get(base + "/", null),
                get(base + "/app.css", null), get(base + "/healthz", null), get(base + "/api/nodes?limit=0", cookie),
                get(base + "/api/nodes/host-nope", cookie), get(base + "/no-such-file.js", cookie),
                get(base + "/api/no-such-route", cookie))) {
            String what = r.request().uri() + " -> " + r.statusCode();
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(what)
                    .contains("default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(what).contains("nosniff");
            assertThat(r.headers().firstValue("Referrer-Policy")).as(what).contains("same-origin");
            assertThat(r.headers().firstValue("X-Frame-Options")).as(what).contains("DENY");
        }
        assertThat(get(base + "/no-such-file.js", cookie).statusCode()).isEqualTo(404);
        assertThat(get(base + "/api/nodes?limit=0", cookie).statusCode()).isEqualTo(400);
    }

    @Test
    void removingAUserOrChangingAPasswordInTheFileEndsTheirSessionsWithoutARestart() throws Exception {
        Path file = dir.resolve("changing.users");
        Files.writeString(file, "carol:" + hash("carol's first") + "\ndave:" + hash("dave's") + "\n");
        ExplorerApi own = newApi(new WebConfig(CredentialsFile.load(file), Duration.ofHours(12), null, 0));
        try {
            String ownBase = "http://127.0.0.1:" + own.port();
            HttpResponse<String> carol = login(ownBase, "carol", "carol's first", "/");
            String cookie = carol.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            HttpResponse<String> dave = login(ownBase, "dave", "dave's", "/");
            String daveCookie = dave.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
            assertThat(get(ownBase + "/api/me", cookie).statusCode()).isEqualTo(200);

            Files.writeString(file, "carol:" + hash("carol's second") + "\n");
            Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(get(ownBase + "/api/me", cookie).statusCode()).isEqualTo(401));
            assertThat(get(ownBase + "/api/me", daveCookie).statusCode()).isEqualTo(401);
            assertThat(login(ownBase, "carol", "carol's second", "/").headers().firstValue("Set-Cookie")).isPresent();
        } finally {
            own.close();
        }
    }

    @Test
    void withoutAnAuthFileEverythingAnswersAndMeSaysSo() throws Exception {
        ExplorerApi open = newApi(WebConfig.OFF);
        try {
            String openBase = "http://127.0.0.1:" + open.port();
            HttpResponse<String> me = get(openBase + "/api/me", null);
            assertThat(me.body()).isEqualTo("{\"user\":null,\"auth\":false}");
            assertThat(me.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(get(openBase + "/js/main.js", null).statusCode()).isEqualTo(200);
            assertThat(get(openBase + "/login", null).statusCode()).isEqualTo(302);
        } finally {
            open.close();
        }
    }
}
