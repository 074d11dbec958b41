package io.edgemanifest.explorer.auth;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Explorer's HTTP hardening in one place: security headers on every response, and with an
 * {@code --auth-file} the login gate (a Javalin before-handler, which runs ahead of the API and of
 * the static-file handler alike), the login and logout forms and {@code /api/me}.
 */
public final class WebSecurity {

    private static final Logger log = LoggerFactory.getLogger(WebSecurity.class);
    public static final String COOKIE = "explorer_session";
    /**
     * Request attribute: a {@code BooleanSupplier} saying whether the session that opened this
     * request is still live (absent with login off: always).
     */
    public static final String STILL_VALID = "explorer.session.valid";
    /** Answer without a session: health checks, and the login page with the one file it loads. */
    private static final Set<String> OPEN = Set.of("/healthz", "/login", "/app.css");
    private static final String CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
            + "base-uri 'none'; form-action 'self'";
    private static final String USER = "explorer.user";

    private final WebConfig config;
    private final Sessions sessions;
    private final LoginLimiter limiter;

    public WebSecurity(WebConfig config) {
        this(config, LoginLimiter.standard());
    }

    WebSecurity(WebConfig config, LoginLimiter limiter) {
        this.config = config;
        this.sessions = new Sessions(config.sessionIdle(), System::nanoTime);
        this.limiter = limiter;
    }

    /** Installs the headers, the gate and the login routes; call before any other route. */
    public void install(Javalin app) {
        app.before(this::before);
        app.get("/login", this::loginPage);
        app.post("/login", this::login);
        app.post("/logout", this::logout);
        app.get("/api/me", ctx -> {
            Map<String, Object> me = new LinkedHashMap<>();
            me.put("user", ctx.attribute(USER));
            me.put("auth", config.authOn());
            ctx.header("Cache-Control", "no-store").json(me);
        });
    }

    private void before(Context ctx) {
        ctx.header("Content-Security-Policy", CSP);
        ctx.header("X-Content-Type-Options", "nosniff");
        ctx.header("Referrer-Policy", "same-origin");
        ctx.header("X-Frame-Options", "DENY");
        if (!config.authOn() || OPEN.contains(ctx.path())) {
            return;
        }
        Optional<Sessions.Session> session = session(ctx);
        if (session.isPresent()) {
            ctx.attribute(USER, session.get().user());
            // A long request (the live stream) asks this again as it goes: logout, idle expiry, a
            // removed user or a changed password end it too, not only the next request.
            String token = ctx.cookie(COOKIE);
            Sessions.Session s = session.get();
            ctx.attribute(STILL_VALID, (java.util.function.BooleanSupplier) () -> sessions.peek(token)
                    .filter(p -> p.equals(s) && s.credential().equals(config.credentials().current().hashOf(s.user())))
                    .isPresent());
            return;
        }
        if (ctx.path().startsWith("/api/") || ctx.path().equals("/metrics")) {
            ctx.status(401).json(Map.of("error", "login required"));
        } else {
            String here = ctx.path() + (ctx.queryString() == null ? "" : "?" + ctx.queryString());
            ctx.redirect("/login?next=" + URLEncoder.encode(here, StandardCharsets.UTF_8), HttpStatus.FOUND);
        }
        ctx.skipRemainingHandlers();
    }

    /** The live session of this request's cookie, if its user still has the password it logged in with. */
    private Optional<Sessions.Session> session(Context ctx) {
        return sessions.find(ctx.cookie(COOKIE))
                .filter(s -> s.credential().equals(config.credentials().current().hashOf(s.user())));
    }

    private void loginPage(Context ctx) {
        String next = safeNext(ctx.queryParam("next"));
        if (!config.authOn() || session(ctx).isPresent()) {
            ctx.redirect(next, HttpStatus.FOUND);
            return;
        }
        ctx.header("Cache-Control", "no-store").contentType("text/html; charset=utf-8")
                .result(LoginPage.html(next, ctx.queryParam("error") != null, null));
    }

    private void login(Context ctx) {
        if (!config.authOn()) {
            ctx.redirect("/", HttpStatus.SEE_OTHER);
            return;
        }
        if (!sameOrigin(ctx)) {
            return;
        }
        String user = String.valueOf(Optional.ofNullable(ctx.formParam("username")).orElse(""));
        String password = Optional.ofNullable(ctx.formParam("password")).orElse("");
        String next = safeNext(ctx.formParam("next"));
        String address = ctx.req().getRemoteAddr();
        Duration wait = limiter.retryAfter(address, user);
        if (!wait.isZero()) {
            long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
            log.warn("auth: login for '{}' from {} refused: too many failed logins (retry in {} s)", printable(user), address, seconds);
            ctx.status(429).header("Retry-After", Long.toString(seconds)).header("Cache-Control", "no-store")
                    .contentType("text/html; charset=utf-8")
                    .result(LoginPage.html(next, true, "Too many failed logins. Try again in " + seconds + " s."));
            return;
        }
        Credentials credentials = config.credentials().current();
        if (!credentials.verify(user, password)) {
            limiter.failed(address, user);
            log.warn("auth: failed login for '{}' from {}", printable(user), address);
            ctx.redirect("/login?error&next=" + URLEncoder.encode(next, StandardCharsets.UTF_8), HttpStatus.SEE_OTHER);
            return;
        }
        String token = sessions.open(user, credentials.hashOf(user));
        log.info("auth: '{}' logged in from {}", printable(user), address);
        ctx.header("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict" + (secure(ctx) ? "; Secure" : ""));
        ctx.header("Cache-Control", "no-store");
        ctx.redirect(next, HttpStatus.SEE_OTHER);
    }

    private void logout(Context ctx) {
        if (!config.authOn()) {
            ctx.redirect("/", HttpStatus.SEE_OTHER);
            return;
        }
        if (!sameOrigin(ctx)) {
            return;
        }
        sessions.close(ctx.cookie(COOKIE));
        ctx.header("Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict" + (secure(ctx) ? "; Secure" : ""));
        ctx.redirect("/login", HttpStatus.SEE_OTHER);
    }

    /**
     * CSRF: a form post from another site carries its {@code Origin} (or at least its
     * {@code Referer}); when present it must name this host. SameSite=Strict already keeps the
     * cookie off such posts; this also stops login CSRF (posting the attacker's own credentials).
     */
    private static boolean sameOrigin(Context ctx) {
        String origin = ctx.header("Origin");
        String source = origin != null ? origin : ctx.header("Referer");
        if (source == null) {
            return true;
        }
        String host = Optional.ofNullable(ctx.header("X-Forwarded-Host")).orElse(ctx.header("Host"));
        String from;
        try {
            from = URI.create(source).getRawAuthority();
        } catch (IllegalArgumentException e) {
            from = null;
        }
        if (from != null && host != null && from.equalsIgnoreCase(host.strip())) {
            return true;
        }
        log.warn("auth: {} {} refused: it came from {}, not from {}", ctx.method(), ctx.path(), printable(source), printable(host));
        ctx.status(403).json(Map.of("error", "cross-site request refused (Origin/Referer is not this host)"));
        return false;
    }

    private static boolean secure(Context ctx) {
        return "https".equalsIgnoreCase(ctx.scheme()) || "https".equalsIgnoreCase(ctx.header("X-Forwarded-Proto"));
    }

    /**
     * {@code next} if it is a path on this server, else {@code /}: never a redirect to another site
     * ({@code //evil}, {@code /\evil}, {@code https://evil}, control characters).
     */
    static String safeNext(String next) {
        if (next == null || next.isEmpty() || next.length() > 2048 || next.charAt(0) != '/' || next.startsWith("//")
                || next.indexOf('\\') >= 0) {
            return "/";
        }
        for (int i = 0; i < next.length(); i++) {
            char c = next.charAt(i);
            if (c < 0x21 || c == 0x7f) {
                return "/";
            }
        }
        try {
            URI uri = new URI(next);
            return uri.getScheme() == null && uri.getRawAuthority() == null ? next : "/";
        } catch (java.net.URISyntaxException e) {
            return "/";
        }
    }

    /** A name as it may go into a log line: no control characters (no forged lines), bounded. */
    private static String printable(String s) {
        if (s == null) {
            return "-";
        }
        String clean = s.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return clean.length() > 64 ? clean.substring(0, 64) + "…" : clean;
    }
}
