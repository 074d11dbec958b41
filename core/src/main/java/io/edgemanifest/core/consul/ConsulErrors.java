package io.edgemanifest.core.consul;

import java.io.IOException;
import org.kiwiproject.consul.ConsulException;
import org.kiwiproject.consul.NotRegisteredException;

/** Tells apart the ways a Consul call fails, because each calls for a different remedy. */
public final class ConsulErrors {

    private ConsulErrors() {
    }

    /**
     * Consul did not answer at all (down, restarting, network), or its agent answers but has lost
     * its servers ("No cluster leader"): retry with back-off, and count it as unreachable time.
     */
    public static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IOException) {
                return true;
            }
            if (t instanceof ConsulException ce && (ce.getCode() == 502 || ce.getCode() == 503 || ce.getCode() == 504
                    || String.valueOf(ce.getMessage()).contains("No cluster leader")
                    || String.valueOf(ce.getMessage()).contains("No known Consul servers"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The agent does not know our check: it restarted and lost its state (Consul 1.8 answers 500
     * "CheckID ... does not have associated TTL", newer ones 404 "Unknown check").
     */
    public static boolean isUnknownCheck(Throwable e) {
        // consul-client wraps every failure of a check update, IO errors included, in
        // NotRegisteredException: look at the cause, or an outage would pass for a restarted agent.
        Throwable t = e instanceof NotRegisteredException && e.getCause() != null ? e.getCause() : e;
        if (isUnreachable(t)) {
            return false;
        }
        String message = String.valueOf(t.getMessage());
        return message.contains("does not have associated TTL") || message.contains("Unknown check")
                || message.contains("unknown check") || (message.contains("CheckID") && message.contains("not found"));
    }

    /**
     * The request went out but no answer came in time (a read timeout): the agent may be slow rather
     * than gone, and what we sent may have been applied. A connect timeout is not this: nothing was sent.
     */
    public static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.http.HttpConnectTimeoutException || t instanceof java.net.ConnectException) {
                return false;
            }
            if (t instanceof java.net.http.HttpTimeoutException) {
                return true;
            }
            if (t instanceof java.io.InterruptedIOException) {
                // OkHttp: SocketTimeoutException "timeout"/"Read timed out"; "connect timed out" when connecting.
                return !String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect");
            }
        }
        return false;
    }

    /** The connection itself failed (refused, or the connect timed out): the request never reached Consul. */
    public static boolean isConnectFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.http.HttpConnectTimeoutException
                    || t instanceof java.net.NoRouteToHostException || t instanceof java.net.UnknownHostException) {
                return true;
            }
            if (t instanceof java.net.SocketTimeoutException
                    && String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("connect")) {
                return true;
            }
        }
        return false;
    }

    /** Consul refused a session because a check it is bound to is critical (or unknown). */
    public static boolean isCheckNotPassing(Throwable e) {
        String message = String.valueOf(e.getMessage());
        return e instanceof ConsulException && (message.contains("critical") || message.contains("Missing check"));
    }

    /**
     * Consul refused our token: 403 "Permission denied" (the token lacks a right) or "ACL not found"
     * (no such token: never given, revoked or rotated away). Not an outage: retrying will not help
     * until an operator acts, so it is logged once per state change and retried slowly.
     */
    public static boolean isPermissionDenied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConsulException ce && (ce.getCode() == 403 || ce.getCode() == 401)) {
                return true;
            }
            String message = String.valueOf(t.getMessage());
            if (t instanceof ConsulException && (message.contains("Permission denied") || message.contains("ACL not found"))) {
                return true;
            }
        }
        return false;
    }

    /** The token itself is unknown to Consul (revoked, rotated away, or never valid). */
    public static boolean isTokenNotFound(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConsulException && String.valueOf(t.getMessage()).contains("ACL not found")) {
                return true;
            }
        }
        return false;
    }

    /** A short pause between retries of an external service that offers nothing to wait on. */
    static void pause(java.time.Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
