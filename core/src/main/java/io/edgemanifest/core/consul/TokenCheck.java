package io.edgemanifest.core.consul;

import java.time.Duration;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.ConsulException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks at start that a program's token is usable, so a missing or unknown token is one clear line
 * and exit 2 instead of a stream of 403s. {@code GET /v1/acl/token/self} needs no right beyond
 * holding the token: 401 "ACL support disabled" means Consul runs without ACLs (fine without a
 * token, for development); 403 "ACL not found" means no token, or one Consul does not know.
 * Consul not answering is not a configuration error: the program starts and its loops retry.
 */
public final class TokenCheck {

    private static final Logger log = LoggerFactory.getLogger(TokenCheck.class);
    /** A token just created in the primary reaches a secondary datacenter ~0.1 s later: allow for it. */
    private static final Duration REPLICATION_GRACE = Duration.ofSeconds(3);

    private TokenCheck() {
    }

    /** The verdict on one endpoint. */
    public enum Result { ACCEPTED, ACLS_DISABLED, UNREACHABLE }

    /**
     * @param source where the token came from, named in the message (never the token itself)
     * @throws IllegalArgumentException (exit 2) when Consul requires a token and has none, or does not know ours
     */
    public static Result require(ConsulEndpoint endpoint, String source) {
        Consul consul = endpoint.client(Duration.ofSeconds(5));
        try {
            // Monotonic: a wall clock stepped at boot must not stretch the grace to an hour.
            long deadline = System.nanoTime() + REPLICATION_GRACE.toNanos();
            while (true) {
                try {
                    consul.aclClient().readSelfToken();
                    return Result.ACCEPTED;
                } catch (RuntimeException e) {
                    if (ConsulErrors.isUnreachable(e)) {
                        log.warn("Consul at {} does not answer yet ({}): starting anyway, the token is checked on use",
                                endpoint, e.getMessage());
                        return Result.UNREACHABLE;
                    }
                    ConsulException ce = e instanceof ConsulException c ? c : null;
                    String message = String.valueOf(e.getMessage());
                    if (message.contains("ACL support disabled") || (ce != null && ce.getCode() == 401)) {
                        return Result.ACLS_DISABLED;
                    }
                    if (!endpoint.token().isPresent()) {
                        throw new IllegalArgumentException("Consul at " + endpoint
                                + " requires an ACL token and none was given: set EDGE_TOKEN or --token-file");
                    }
                    if (ConsulErrors.isTokenNotFound(e) && System.nanoTime() - deadline < 0) {
                        ConsulErrors.pause(Duration.ofMillis(250));
                        continue;
                    }
                    if (ConsulErrors.isPermissionDenied(e)) {
                        throw new IllegalArgumentException("Consul at " + endpoint + " does not know the token from "
                                + source + " (revoked, rotated away, or for another cluster)");
                    }
                    log.warn("Consul at {} answered the token check with {}: starting anyway", endpoint, message);
                    return Result.UNREACHABLE;
                }
            }
        } finally {
            consul.destroy();
        }
    }
}
