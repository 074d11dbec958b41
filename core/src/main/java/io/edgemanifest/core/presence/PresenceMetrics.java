package io.edgemanifest.core.presence;

import io.edgemanifest.core.node.NodeKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What every presence of one kind records, on Micrometer's global registry: a process serves it
 * by adding a Prometheus registry there (host-agent {@code --metrics}); with none added the meters
 * are no-ops. The heartbeat histogram and the lost-session counter are what the scale benchmark
 * reads: latency as Consul answers it, and sessions that died while the node was alive.
 */
final class PresenceMetrics {

    private static final Map<NodeKind, PresenceMetrics> BY_KIND = new EnumMap<>(NodeKind.class);

    private final Timer heartbeats;
    private final Counter heartbeatFailures;
    private final Counter establishments;
    private final Counter sessionsLost;

    private PresenceMetrics(NodeKind kind) {
        String tag = kind.serviceName();
        heartbeats = Timer.builder("edge.presence.heartbeat")
                .description("TTL heartbeats (PUT /v1/agent/check/pass) answered by Consul")
                .tag("kind", tag)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(Metrics.globalRegistry);
        heartbeatFailures = Counter.builder("edge.presence.heartbeat.failures")
                .description("TTL heartbeats that failed").tag("kind", tag).register(Metrics.globalRegistry);
        establishments = Counter.builder("edge.presence.establishments")
                .description("Registrations of service, check, session and key (first and after healing)")
                .tag("kind", tag).register(Metrics.globalRegistry);
        sessionsLost = Counter.builder("edge.presence.sessions.lost")
                .description("Sessions found gone while the node was running (a false expiry if the node was healthy)")
                .tag("kind", tag).register(Metrics.globalRegistry);
    }

    static synchronized PresenceMetrics of(NodeKind kind) {
        return BY_KIND.computeIfAbsent(kind, PresenceMetrics::new);
    }

    void heartbeat(long nanos) {
        heartbeats.record(nanos, TimeUnit.NANOSECONDS);
    }

    void heartbeatFailed() {
        heartbeatFailures.increment();
    }

    void establishing() {
        establishments.increment();
    }

    void sessionLost() {
        sessionsLost.increment();
    }
}
