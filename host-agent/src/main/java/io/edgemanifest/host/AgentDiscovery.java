package io.edgemanifest.host;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.RawConsul;
import io.edgemanifest.core.presence.Backoff;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns the Consul agents of one datacenter that take hosts ({@link AdvertisedAgents}) from its
 * catalog, through any agent the host was given: a blocking query on {@code /v1/catalog/nodes}
 * (its index moves when a node joins or leaves, not when services or checks change, so thousands
 * of hosts' heartbeats do not wake it), and with each answer one read of the critical
 * {@code serfHealth} checks (a failed agent stays in the catalog for 72 h). A blocking query ends
 * after {@code wait} at the latest, so a failed or recovered agent is seen within one wait.
 * Everything is read {@code ?stale}: any server answers, the leader is not asked per host.
 *
 * <p>A host token may read this (node read on every node: it already needs it to learn its
 * datacenter), and learns nothing it could not list before but the advertised URLs
 * (docs/security.md). Virtual hosts share one per datacenter.
 */
final class AgentDiscovery implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AgentDiscovery.class);
    private static final String CRITICAL_SERF = "/v1/health/state/critical?stale&filter="
            + URLEncoder.encode("CheckID == \"serfHealth\"", StandardCharsets.UTF_8).replace("+", "%20");

    private final List<ConsulEndpoint> bootstrap;
    private final Duration wait;
    private final List<Consumer<List<URI>>> listeners = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstAnswer = new CountDownLatch(1);
    private volatile List<URI> current;
    /**
     * The Consul node behind each URL we know (the advertised ones from the catalog, the given ones
     * from {@code /v1/agent/self}): one agent may be known under two URLs, and a host moving between
     * them must not deregister its new instance as the old one.
     */
    private final java.util.Map<URI, String> nodes = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Given URLs whose node we asked for (or were refused): asked once each. */
    private final java.util.Set<URI> resolving = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private Thread thread;

    /**
     * @param bootstrap the agents the host was given for this datacenter (asked in turn while one fails)
     * @param wait      how long one blocking query may wait: the bound on noticing a failed agent
     */
    AgentDiscovery(List<ConsulEndpoint> bootstrap, Duration wait) {
        this.bootstrap = List.copyOf(bootstrap);
        if (this.bootstrap.isEmpty()) {
            throw new IllegalArgumentException("agent discovery needs at least one Consul agent to ask");
        }
        if (wait.compareTo(Duration.ofSeconds(1)) < 0 || wait.compareTo(Duration.ofMinutes(10)) > 0) {
            throw new IllegalArgumentException("agent discovery wait must be 1s to 10m: " + wait);
        }
        this.wait = wait;
    }

    synchronized AgentDiscovery start() {
        if (thread == null) {
            thread = Thread.ofVirtual().name("agent-discovery").start(this::loop);
        }
        return this;
    }

    /** The advertised live agents of the last answer; null before the first. */
    List<URI> current() {
        return current;
    }

    /** The Consul node behind {@code url} (trailing slashes ignored), or null when not known. */
    String nodeOf(URI url) {
        return nodes.get(normal(url));
    }

    private static URI normal(URI url) {
        return URI.create(url.toString().replaceAll("/+$", ""));
    }

    /**
     * Waits up to {@code timeout} for the first answer (a host starting then attaches straight to
     * its own agent instead of moving there a moment later); null when there was none in time.
     */
    List<URI> awaitFirst(Duration timeout) {
        try {
            firstAnswer.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return current;
    }

    /** {@code listener} gets every changed list; the current one at once if there is one. */
    void onChange(Consumer<List<URI>> listener) {
        listeners.add(listener);
        List<URI> now = current;
        if (now != null) {
            listener.accept(now);
        }
    }

    void removeListener(Consumer<List<URI>> listener) {
        listeners.remove(listener);
    }

    private void loop() {
        Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
        long index = 0;
        int asking = 0;
        boolean failing = false;
        while (!closed) {
            ConsulEndpoint endpoint = bootstrap.get(asking % bootstrap.size());
            try {
                resolveNode(endpoint);
                HttpResponse<String> nodes = get(endpoint, "/v1/catalog/nodes?stale&index=" + index
                        + "&wait=" + wait.toSeconds() + "s", wait.plusSeconds(10));
                String critical = get(endpoint, CRITICAL_SERF, Duration.ofSeconds(10)).body();
                long next = nodes.headers().firstValueAsLong("X-Consul-Index").orElse(0);
                // An index that went backwards (servers restarted empty) starts over; 0 never blocks.
                index = next < index || next <= 0 ? 0 : next;
                AdvertisedAgents.nodes(nodes.body()).forEach((url, node) -> this.nodes.put(normal(url), node));
                publish(AdvertisedAgents.parse(nodes.body(), critical));
                if (failing) {
                    log.info("agent discovery: reading the catalog through {} again", endpoint);
                    failing = false;
                }
                backoff.reset();
            } catch (RuntimeException | IOException e) {
                if (closed) {
                    return;
                }
                if (!failing) {
                    log.warn("agent discovery: cannot read the catalog through {} ({}): asking the next agent with back-off",
                            endpoint, Errors.rootMessage(e));
                    failing = true;
                }
                asking++;
                index = 0;
                try {
                    Thread.sleep(backoff.next()); // retry pacing on our own virtual thread
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Learns once which node a given agent is ({@code Config.NodeName} of {@code /v1/agent/self}).
     * A token without {@code agent read} (a host's, under ACLs) is refused: the node stays unknown
     * and that URL is compared as a string, as before.
     */
    private void resolveNode(ConsulEndpoint endpoint) throws InterruptedException {
        URI url = normal(endpoint.url());
        if (nodes.containsKey(url) || !resolving.add(url)) {
            return;
        }
        try {
            String node = JSON.readTree(get(endpoint, "/v1/agent/self", Duration.ofSeconds(10)).body())
                    .path("Config").path("NodeName").asText("");
            if (!node.isEmpty()) {
                nodes.put(url, node);
            }
        } catch (IOException | RuntimeException e) {
            if (!(e instanceof RawConsul.Refused r && r.getCode() == 403)) {
                resolving.remove(url); // unreachable or failing: try again next round
                return;
            }
            log.info("agent discovery: cannot learn the node behind {} ({}): compared by URL only", endpoint,
                    Errors.rootMessage(e));
        }
    }

    private void publish(List<URI> agents) {
        List<URI> before = current;
        current = agents;
        firstAnswer.countDown();
        if (!agents.equals(before)) {
            log.info("agent discovery: {} agent(s) take hosts{}", agents.size(), agents.isEmpty() ? " (none advertises "
                    + AdvertisedAgents.META_KEY + ": hosts use the agents they were given)" : ": " + agents);
            for (Consumer<List<URI>> listener : listeners) {
                try {
                    listener.accept(agents);
                } catch (RuntimeException e) {
                    // One failing listener must not keep this change from the others (current is set).
                    log.warn("agent discovery: a listener failed on {}", agents, e);
                }
            }
        }
    }

    private static HttpResponse<String> get(ConsulEndpoint endpoint, String pathAndQuery, Duration timeout)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(endpoint.url().toString().replaceAll("/+$", "")
                + pathAndQuery)).timeout(timeout).GET();
        String token = endpoint.token().get();
        if (token != null && !token.isEmpty()) {
            request.header("X-Consul-Token", token);
        }
        HttpResponse<String> response = RawConsul.client(endpoint).send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new RawConsul.Refused(response.statusCode(), "GET " + pathAndQuery.replaceAll("\\?.*", "")
                    + " answered " + response.statusCode() + ": " + response.body().strip());
        }
        return response;
    }

    @Override
    public void close() {
        closed = true;
        Thread running;
        synchronized (this) {
            running = thread;
        }
        if (running != null) {
            running.interrupt();
        }
    }
}
