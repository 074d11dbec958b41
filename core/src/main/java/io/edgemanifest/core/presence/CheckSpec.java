package io.edgemanifest.core.presence;

import java.time.Duration;
import java.util.Objects;

/** How Consul learns that a node is alive. */
public sealed interface CheckSpec {

    /** How often the presence loop runs: a heartbeat for TTL nodes, a self-check for gRPC nodes. */
    Duration tickInterval();

    /**
     * The node pushes a heartbeat (hosts: not reachable from outside).
     *
     * @param ttl       Consul marks the check critical this long after the last heartbeat
     * @param heartbeat how often we beat; at most half the TTL, so a lost beat still leaves a retry
     *                  (or the next beat) before the check expires
     */
    record Ttl(Duration ttl, Duration heartbeat) implements CheckSpec {
        public Ttl {
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(heartbeat, "heartbeat");
            if (ttl.compareTo(Duration.ofSeconds(1)) < 0 || ttl.toMillis() % 1000 != 0) {
                throw new IllegalArgumentException("TTL must be a whole number of seconds, at least 1s: " + ttl.toMillis() + "ms");
            }
            if (heartbeat.isNegative() || heartbeat.isZero()) {
                throw new IllegalArgumentException("heartbeat must be positive: " + heartbeat.toMillis() + "ms");
            }
            if (ttl.compareTo(heartbeat.multipliedBy(2)) < 0) {
                throw new IllegalArgumentException("TTL " + ttl.toSeconds() + "s is shorter than 2x the heartbeat ("
                        + heartbeat.toMillis() + "ms)");
            }
        }

        /**
         * The TTL with the heartbeat at half of it (#15; was a third). Every heartbeat costs a Consul
         * 1.8 agent a sync over all the services it holds, so the beat rate is what limits hosts per
         * agent: half the TTL is a third fewer beats than a third of it, and a lost beat is still
         * retried (at a third of the heartbeat, ConsulPresence) well before the check expires.
         */
        public static Ttl of(Duration ttl) {
            return new Ttl(ttl, ttl.dividedBy(2));
        }

        @Override
        public Duration tickInterval() {
            return heartbeat;
        }
    }

    /**
     * Consul itself probes {@code grpc.health.v1.Health/Check} at {@code address} (gateways, stargates).
     *
     * @param address       host:port Consul can reach
     * @param tls           the node serves gRPC over TLS: Consul's probe must speak TLS
     * @param tlsSkipVerify Consul's probe does not verify our certificate (it is not from a CA that
     *                      Consul's own {@code ca_file} trusts)
     */
    record Grpc(String address, Duration interval, Duration timeout, boolean tls, boolean tlsSkipVerify) implements CheckSpec {
        public Grpc {
            if (address == null || !address.matches("[^\\s:]+:\\d{1,5}")) {
                throw new IllegalArgumentException("gRPC check address must be host:port: " + address);
            }
            if (interval.compareTo(Duration.ofSeconds(1)) < 0 || timeout.isNegative() || timeout.isZero()
                    || timeout.compareTo(interval) > 0) {
                throw new IllegalArgumentException("gRPC check needs interval >= 1s and 0 < timeout <= interval: "
                        + interval + "/" + timeout);
            }
        }

        public Grpc(String address, Duration interval, Duration timeout) {
            this(address, interval, timeout, false, false);
        }

        public static Grpc of(String address) {
            return new Grpc(address, Duration.ofSeconds(5), Duration.ofSeconds(2));
        }

        public Grpc withTls(boolean useTls, boolean skipVerify) {
            return new Grpc(address, interval, timeout, useTls, skipVerify);
        }

        @Override
        public Duration tickInterval() {
            return interval;
        }
    }
}
