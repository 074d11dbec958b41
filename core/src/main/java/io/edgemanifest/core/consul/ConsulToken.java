package io.edgemanifest.core.consul;

/**
 * A Consul ACL token that can be replaced in place (rotation): every client built from an
 * endpoint reads it per request, so a rotated token takes effect without rebuilding clients.
 * {@link #toString()} never shows the secret — tokens must not reach logs.
 */
public final class ConsulToken {

    private static final ThreadLocal<ConsulToken> BOUND = new ThreadLocal<>();

    private volatile String secret;

    private ConsulToken(String secret) {
        this.secret = normalise(secret);
    }

    /** A token with this secret; blank or null means none (a Consul without ACLs). */
    public static ConsulToken of(String secret) {
        return new ConsulToken(secret);
    }

    public static ConsulToken none() {
        return new ConsulToken(null);
    }

    /** The secret, or null when there is none. */
    public String get() {
        return secret;
    }

    public boolean isPresent() {
        return secret != null;
    }

    /** Replaces the secret: requests from now on carry the new one. */
    public void set(String value) {
        this.secret = normalise(value);
    }

    /**
     * Runs {@code action} with this token bound to the calling thread: a shared client (one per
     * datacenter for many virtual hosts, {@link ConsulEndpoint#sharedClient}) sends it instead of
     * its own, so each host acts with its own rights over one connection pool.
     */
    public void runAs(Runnable action) {
        ConsulToken previous = BOUND.get();
        BOUND.set(this);
        try {
            action.run();
        } finally {
            if (previous == null) {
                BOUND.remove();
            } else {
                BOUND.set(previous);
            }
        }
    }

    /** The token bound to the calling thread by {@link #runAs}, or null. */
    public static ConsulToken bound() {
        return BOUND.get();
    }

    private static String normalise(String value) {
        if (value == null) {
            return null;
        }
        String stripped = value.strip();
        if (stripped.isEmpty()) {
            return null;
        }
        if (stripped.length() > 512 || !stripped.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the Consul token is not a token (unprintable or over 512 characters)");
        }
        return stripped;
    }

    @Override
    public String toString() {
        return secret == null ? "ConsulToken[none]" : "ConsulToken[set]";
    }
}
