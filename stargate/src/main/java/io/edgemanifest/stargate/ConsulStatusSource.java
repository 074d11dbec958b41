package io.edgemanifest.stargate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.State;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.option.ImmutableQueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a {@link StatusSnapshot} from the Consul agent of the Stargate's datacenter. */
public final class ConsulStatusSource implements StatusSource, AutoCloseable {

    /** The tag every host's service carries (each host has a service name of its own: Consul 1.8 ACLs are per name). */
    public static final String HOST_TAG = "host";
    /** The Consul service every Gateway registers. */
    public static final String GATEWAY_SERVICE = "gateway";

    private static final Logger log = LoggerFactory.getLogger(ConsulStatusSource.class);

    private final Consul consul;

    /** The client never pings on construction: a Stargate must start (and answer UNAVAILABLE) while its Consul is down. */
    public ConsulStatusSource(ConsulEndpoint endpoint) {
        this.consul = endpoint.client();
    }

    @Override
    public StatusSnapshot snapshot() {
        String datacenter = consul.agentClient().getAgent().getConfig().getDatacenter();
        long hosts = passingHosts();
        long gateways = consul.healthClient().getHealthyServiceInstances(GATEWAY_SERVICE).getResponse().size();
        long sessions = consul.sessionClient().listSessions().size();
        StatusSnapshot snapshot = new StatusSnapshot(datacenter, hosts, gateways, sessions);
        log.debug("Consul status: {}", snapshot);
        return snapshot;
    }

    /** Hosts whose every check passes: one query for all of them, by tag, instead of one per service name. */
    private long passingHosts() {
        List<HealthCheck> checks = consul.healthClient().getChecksByState(State.ANY,
                ImmutableQueryOptions.builder().filter("ServiceTags contains \"" + HOST_TAG + "\"").build()).getResponse();
        Map<String, Boolean> passing = new HashMap<>();
        for (HealthCheck check : checks) {
            // A host's service name is its ID; an instance under another name squats someone's ID.
            check.getServiceId().filter(id -> id.equals(check.getServiceName().orElse("")))
                    .ifPresent(id -> passing.merge(id, "passing".equals(check.getStatus()), Boolean::logicalAnd));
        }
        return passing.values().stream().filter(Boolean::booleanValue).count();
    }

    /** Releases the HTTP client's threads and connections. */
    @Override
    public void close() {
        consul.destroy();
    }
}
