package io.edgemanifest.stargate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import org.kiwiproject.consul.Consul;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a {@link StatusSnapshot} from the Consul agent of the Stargate's datacenter. */
public final class ConsulStatusSource implements StatusSource, AutoCloseable {

    /** The Consul service every node operator's device registers. */
    public static final String HOST_SERVICE = "host";
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
        long hosts = consul.healthClient().getHealthyServiceInstances(HOST_SERVICE).getResponse().size();
        long gateways = consul.healthClient().getHealthyServiceInstances(GATEWAY_SERVICE).getResponse().size();
        long sessions = consul.sessionClient().listSessions().size();
        StatusSnapshot snapshot = new StatusSnapshot(datacenter, hosts, gateways, sessions);
        log.debug("Consul status: {}", snapshot);
        return snapshot;
    }

    /** Releases the HTTP client's threads and connections. */
    @Override
    public void close() {
        consul.destroy();
    }
}
