package io.edgemanifest.stargate;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a Stargate sees of its datacenter, as gauges: passing hosts and gateways, sessions, and
 * whether its Consul answered — the numbers {@code stargate status} shows, so a datacenter can be
 * watched from Prometheus without the Explorer. Read from {@link StatusSource} when scraped, at
 * most once per {@code minInterval}: listing every session of a 10,000-host datacenter is a few
 * megabytes, fine every 15 s, not on every scrape of several Prometheus servers.
 */
final class StargateMetrics {

    private static final Logger log = LoggerFactory.getLogger(StargateMetrics.class);

    private final StatusSource source;
    private final Clock clock;
    private final Duration minInterval;
    private Instant readAt;
    private StatusSnapshot last;
    private boolean up;

    StargateMetrics(StatusSource source, String datacenter, MeterRegistry registry, Clock clock, Duration minInterval) {
        this.source = Objects.requireNonNull(source, "source");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (minInterval.isNegative()) {
            throw new IllegalArgumentException("invalid status interval " + minInterval);
        }
        this.minInterval = minInterval;
        Gauge.builder("stargate_consul_up", this, m -> m.up ? 1 : 0).tag("datacenter", datacenter)
                .description("1 when the Stargate's Consul answered its last status read").register(registry);
        Gauge.builder("stargate_passing_hosts", this, m -> m.last == null ? Double.NaN : m.last.passingHosts())
                .tag("datacenter", datacenter).description("hosts whose every check passes").register(registry);
        Gauge.builder("stargate_passing_gateways", this, m -> m.last == null ? Double.NaN : m.last.passingGateways())
                .tag("datacenter", datacenter).description("gateways whose every check passes").register(registry);
        Gauge.builder("stargate_sessions", this, m -> m.last == null ? Double.NaN : m.last.sessions())
                .tag("datacenter", datacenter).description("Consul sessions in the datacenter").register(registry);
    }

    /** Reads the status again unless the last read is younger than the interval; a failure reads as down. */
    synchronized void refresh() {
        Instant now = clock.instant();
        if (readAt != null && Duration.between(readAt, now).compareTo(minInterval) < 0) {
            return;
        }
        readAt = now;
        try {
            last = source.snapshot();
            up = true;
        } catch (RuntimeException e) {
            // The last numbers stay: "Consul down" is its own series, not a fall of hosts to zero.
            up = false;
            log.debug("status for metrics: {}", e.toString());
        }
    }
}
