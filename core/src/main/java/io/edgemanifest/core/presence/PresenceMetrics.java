package io.edgemanifest.core.presence;

import io.edgemanifest.core.node.NodeKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * What every presence of one kind records, on Micrometer's global registry: a process serves it
 * by adding a Prometheus registry there ({@code --metrics}); with none added the meters are
 * no-ops. The heartbeat histogram and the lost-session counter are what the scale benchmark and
 * the alert rules read: latency as Consul answers it, and sessions that died while the node was
 * alive. Labelled by kind and datacenter (a host migrates, so its series moves with it) — never by
 * node ID: 10,000 hosts in one process would be 10,000 series.
 */
final class PresenceMetrics {

    /** Before the agent told us its datacenter (the first establishment's first request). */
    static final String UNKNOWN_DATACENTER = "unknown";

    private static final Map<NodeKind, PresenceMetrics> BY_KIND = new EnumMap<>(NodeKind.class);

    private final String kind;
    private final Map<String, Meters> byDatacenter = new ConcurrentHashMap<>();

    /** The meters of one kind in one datacenter. */
    private record Meters(Timer heartbeats, Counter heartbeatFailures, Counter establishments, Counter sessionsLost) {
    }

    private PresenceMetrics(NodeKind kind) {
        this.kind = kind.serviceName();
    }

    static synchronized PresenceMetrics of(NodeKind kind) {
        return BY_KIND.computeIfAbsent(kind, PresenceMetrics::new);
    }

    private Meters in(String datacenter) {
        return byDatacenter.computeIfAbsent(datacenter == null ? UNKNOWN_DATACENTER : datacenter, dc -> new Meters(
                Timer.builder("edge.presence.heartbeat")
                        .description("TTL heartbeats (PUT /v1/agent/check/pass) answered by Consul")
                        .tag("kind", kind).tag("datacenter", dc)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(10))
                        .register(Metrics.globalRegistry),
                Counter.builder("edge.presence.heartbeat.failures").description("TTL heartbeats that failed")
                        .tag("kind", kind).tag("datacenter", dc).register(Metrics.globalRegistry),
                Counter.builder("edge.presence.establishments")
                        .description("Registrations of service, check, session and key (first and after healing)")
                        .tag("kind", kind).tag("datacenter", dc).register(Metrics.globalRegistry),
                Counter.builder("edge.presence.sessions.lost")
                        .description("Sessions found gone while the node was running (a false expiry if the node was healthy)")
                        .tag("kind", kind).tag("datacenter", dc).register(Metrics.globalRegistry)));
    }

    void heartbeat(String datacenter, long nanos) {
        in(datacenter).heartbeats().record(nanos, TimeUnit.NANOSECONDS);
    }

    void heartbeatFailed(String datacenter) {
        in(datacenter).heartbeatFailures().increment();
    }

    void establishing(String datacenter) {
        in(datacenter).establishments().increment();
    }

    void sessionLost(String datacenter) {
        in(datacenter).sessionsLost().increment();
    }
}
