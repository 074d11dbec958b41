package io.edgemanifest.stargate;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
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

    /**
     * How to reach Consul.
     *
     * @param url      the agent's HTTP API, e.g. {@code http://127.0.0.1:8500}
     * @param aclToken the ACL token to send, if Consul has ACLs enabled
     */
    public record Config(String url, Optional<String> aclToken) {
        public Config {
            if (!isHttpUrl(url)) {
                throw new IllegalArgumentException("invalid Consul URL '" + url + "': expected http://host:port");
            }
            aclToken = aclToken == null ? Optional.empty() : aclToken.filter(t -> !t.isBlank());
        }

        public Config(String url) {
            this(url, Optional.empty());
        }

        private static boolean isHttpUrl(String url) {
            if (url == null) {
                return false;
            }
            try {
                URI uri = new URI(url);
                return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null;
            } catch (URISyntaxException e) {
                return false;
            }
        }
    }

    private final Consul consul;

    public ConsulStatusSource(Config config) {
        Consul.Builder builder = Consul.builder()
                .withUrl(config.url())
                // No ping: a Stargate must start (and report UNAVAILABLE) while its Consul is down.
                .withPing(false);
        config.aclToken().ifPresent(builder::withAclToken);
        this.consul = builder.build();
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
