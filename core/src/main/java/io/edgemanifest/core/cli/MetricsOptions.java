package io.edgemanifest.core.cli;

import io.edgemanifest.core.metrics.JvmBasics;
import io.edgemanifest.core.metrics.MetricsServer;
import io.micrometer.core.instrument.Metrics;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --metrics HOST:PORT} of the gRPC nodes (gateway, stargate): off unless given, as on
 * host-agent — a node operator's machine should not open a port nobody asked for.
 */
public final class MetricsOptions {

    @Option(names = "--metrics", paramLabel = "HOST:PORT", defaultValue = "${env:EDGE_METRICS}",
            description = "Serve Prometheus /metrics here (presence, JVM; port 0: any free port); off by default. Env EDGE_METRICS.")
    public String metrics;

    /**
     * Listens when {@code --metrics} was given, with the JVM basics and the presence meters (which
     * record on Micrometer's global registry) in it; a malformed value or a port in use throws
     * {@link IllegalArgumentException} naming it (one line, exit 2).
     *
     * @param beforeScrape refreshes gauges computed at scrape time
     */
    public Optional<MetricsServer> listen(Runnable beforeScrape) {
        if (metrics == null || metrics.isBlank()) {
            return Optional.empty();
        }
        MetricsServer server = MetricsServer.listen(JvmBasics.bindTo(MetricsServer.newRegistry()), metrics.strip(),
                "--metrics", beforeScrape);
        Metrics.addRegistry(server.registry());
        return Optional.of(server);
    }
}
