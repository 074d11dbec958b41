package io.edgemanifest.core.presence;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Presence} needs, validated at construction.
 *
 * @param deregisterCriticalAfter Consul removes the service this long after its check went critical
 *                                (Consul's own minimum is one minute; its reaper runs every 30 s)
 * @param verifyInterval          how often the node re-reads its key to notice a lost session or an
 *                                overwritten value (one GET; heartbeats stay one request each)
 * @param maxBackoff              cap of the retry back-off while Consul is unreachable
 */
public record PresenceConfig(ConsulEndpoint endpoint, CheckSpec check, Duration deregisterCriticalAfter,
                             Duration verifyInterval, Duration maxBackoff) {

    public PresenceConfig {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(check, "check");
        if (deregisterCriticalAfter.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("deregister-critical-after must be at least 1m (Consul's minimum): "
                    + deregisterCriticalAfter.toSeconds() + "s");
        }
        if (verifyInterval.isNegative() || verifyInterval.isZero()) {
            throw new IllegalArgumentException("verify interval must be positive: " + verifyInterval);
        }
        if (maxBackoff.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("max back-off must be at least 100ms: " + maxBackoff.toMillis() + "ms");
        }
    }

    /** Defaults: deregister after 1 m, verify the key every tick interval × 3, back-off capped at 10 s. */
    public static PresenceConfig of(ConsulEndpoint endpoint, CheckSpec check) {
        return new PresenceConfig(endpoint, check, Duration.ofMinutes(1), check.tickInterval().multipliedBy(3),
                Duration.ofSeconds(10));
    }

    /**
     * The read timeout of this presence's Consul requests, kept between 1 s and 10 s. A hung agent
     * must not hold a heartbeat past the next one, so for a gRPC node it is the tick interval. For a
     * TTL node it is half the heartbeat (a quarter of the TTL): a beat that times out is asked again
     * at once with the patience of a TTL (ConsulPresence#patientPass), and that second ask must still
     * reach the agent before the check, last passed one heartbeat earlier, expires — with the
     * heartbeat at TTL/2 (#15) a timeout of a whole heartbeat would send it exactly at the expiry.
     */
    public Duration requestTimeout() {
        Duration tick = check instanceof CheckSpec.Ttl ttl ? ttl.heartbeat().dividedBy(2) : check.tickInterval();
        return tick.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
                : tick.compareTo(Duration.ofSeconds(10)) > 0 ? Duration.ofSeconds(10) : tick;
    }

    public PresenceConfig withMaxBackoff(Duration value) {
        return new PresenceConfig(endpoint, check, deregisterCriticalAfter, verifyInterval, value);
    }

    public PresenceConfig withVerifyInterval(Duration value) {
        return new PresenceConfig(endpoint, check, deregisterCriticalAfter, value, maxBackoff);
    }

    /** A presence config waiting for its check (known only once a gRPC server has bound its port). */
    @FunctionalInterface
    public interface Builder {
        PresenceConfig build(CheckSpec check);

        static Builder of(ConsulEndpoint endpoint, Duration deregisterCriticalAfter) {
            return check -> new PresenceConfig(endpoint, check, deregisterCriticalAfter,
                    check.tickInterval().multipliedBy(3), Duration.ofSeconds(10));
        }
    }
}
