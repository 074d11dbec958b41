package io.edgemanifest.host;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.Location;
import io.edgemanifest.core.presence.CheckSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a host-agent needs, validated at construction (bad values → IllegalArgumentException
 * naming them, which the CLI turns into exit code 2).
 *
 * @param datacenters  the Stargate datacenters it may attach to, in order of preference, each as the
 *                     Consul agents that serve hosts there (a host picks among them by rendezvous
 *                     hashing of its ID: a datacenter spreads its hosts over several agents, because
 *                     a Consul 1.8 agent's heartbeat cost grows with the services it holds)
 * @param migrateAfter how long the attached datacenter may stay unreachable before moving to the next
 * @param discoverAgents learn each datacenter's agents that take hosts from its catalog (node meta
 *                     {@code edge-host-url}, {@link AdvertisedAgents}) and rebalance over them by
 *                     rendezvous as they come and go; the given agents are the bootstrap and the
 *                     last fallback. Nothing advertised: the given agents, as without discovery
 */
public record HostAgentConfig(List<List<ConsulEndpoint>> datacenters, Path stateDir, CheckSpec.Ttl check,
                              Location location, Map<String, String> labels, Duration migrateAfter,
                              Duration deregisterAfter, String version, boolean discoverAgents) {

    /** Without agent discovery: exactly the agents given (tests, and callers from before #15). */
    public HostAgentConfig(List<List<ConsulEndpoint>> datacenters, Path stateDir, CheckSpec.Ttl check,
                           Location location, Map<String, String> labels, Duration migrateAfter,
                           Duration deregisterAfter, String version) {
        this(datacenters, stateDir, check, location, labels, migrateAfter, deregisterAfter, version, false);
    }

    public HostAgentConfig {
        if (datacenters == null || datacenters.isEmpty()) {
            throw new IllegalArgumentException("at least one --consul URL is needed");
        }
        datacenters = datacenters.stream().map(List::copyOf).toList();
        if (datacenters.stream().anyMatch(List::isEmpty)) {
            throw new IllegalArgumentException("a --consul entry names no Consul agent");
        }
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(check, "check");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        labels.forEach((k, v) -> {
            if (k.isBlank()) {
                throw new IllegalArgumentException("invalid --label '" + k + "=" + v + "': empty key");
            }
        });
        if (migrateAfter.compareTo(check.ttl()) < 0) {
            throw new IllegalArgumentException("--migrate-after " + migrateAfter.toSeconds()
                    + "s is shorter than the TTL (" + check.ttl().toSeconds() + "s)");
        }
        if (deregisterAfter.compareTo(Duration.ofMinutes(1)) < 0) {
            throw new IllegalArgumentException("--deregister-after must be at least 1m: " + deregisterAfter.toSeconds() + "s");
        }
        Objects.requireNonNull(version, "version");
    }

    /** One agent per datacenter, in order of preference. */
    public static List<List<ConsulEndpoint>> oneAgentEach(List<ConsulEndpoint> datacenters) {
        return datacenters.stream().map(List::of).toList();
    }
}
