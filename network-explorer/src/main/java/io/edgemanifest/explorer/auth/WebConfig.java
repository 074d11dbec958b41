package io.edgemanifest.explorer.auth;

import java.time.Duration;
import java.util.Objects;

/**
 * How the Explorer's HTTP side is exposed: login on ({@code credentials} set) or off, how long an
 * idle session lives, and where {@code /metrics} is served ({@code metricsHost} null: on the API
 * port, behind the login like everything else).
 */
public record WebConfig(CredentialsFile credentials, Duration sessionIdle, String metricsHost, int metricsPort) {

    public static final Duration DEFAULT_SESSION_IDLE = Duration.ofHours(12);

    /** No login, {@code /metrics} on the API port: what the tests and a loopback-only Explorer use. */
    public static final WebConfig OFF = new WebConfig(null, DEFAULT_SESSION_IDLE, null, 0);

    public WebConfig {
        Objects.requireNonNull(sessionIdle, "sessionIdle");
        if (sessionIdle.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("invalid --session-idle " + sessionIdle + " (at least 1m)");
        }
        if (metricsHost != null && (metricsHost.isBlank() || metricsPort < 0 || metricsPort > 65_535)) {
            throw new IllegalArgumentException("invalid --metrics '" + metricsHost + ":" + metricsPort + "'");
        }
    }

    /**
     * From the flags: {@code authFile} null means login off; {@code metrics} is {@code HOST:PORT} or
     * null. Loads the credentials now, so a bad file stops the start (exit 2) before anything runs.
     */
    public static WebConfig of(java.nio.file.Path authFile, Duration sessionIdle, String metrics) {
        String host = null;
        int port = 0;
        if (metrics != null && !metrics.isBlank()) {
            int colon = metrics.lastIndexOf(':');
            try {
                if (colon <= 0) {
                    throw new NumberFormatException();
                }
                host = metrics.substring(0, colon);
                port = Integer.parseInt(metrics.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid --metrics '" + metrics + "' (use HOST:PORT, e.g. 127.0.0.1:9465)");
            }
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("invalid --metrics '" + metrics + "' (port 0..65535)");
            }
        }
        return new WebConfig(authFile == null ? null : CredentialsFile.load(authFile), sessionIdle, host, port);
    }

    public boolean authOn() {
        return credentials != null;
    }

    public boolean metricsOnApiPort() {
        return metricsHost == null;
    }
}
