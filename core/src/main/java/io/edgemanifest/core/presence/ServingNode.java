package io.edgemanifest.core.presence;

import io.edgemanifest.core.Errors;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeRecord;
import java.io.IOException;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node reachable from outside (gateway, stargate): a gRPC server with the health service, and a
 * presence whose check Consul runs against the advertised address. Start order: server SERVING,
 * then register (Consul's first probe must find us). Stop order: NOT_SERVING (clients and Consul
 * see it), destroy session and deregister, then stop the server.
 */
public final class ServingNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServingNode.class);

    private final HealthServer server;
    private final PresenceConfig.Builder presenceConfig;
    private final NodeRecord record;
    private final String advertiseHost;
    private final Integer advertisePort;
    private final boolean tlsSkipVerify;
    private final ScheduledExecutorService scheduler;
    private Presence presence;
    private boolean closed;

    /**
     * @param advertisePort  the port Consul and clients dial, or null for the port the server bound
     * @param presenceConfig completes the presence config once the advertised address is known
     *                       (the bound port is only known after the server started)
     */
    public ServingNode(HealthServer server, String advertiseHost, Integer advertisePort, NodeRecord record,
                       PresenceConfig.Builder presenceConfig) {
        this(server, advertiseHost, advertisePort, record, presenceConfig, false);
    }

    /** @param tlsSkipVerify with a TLS server: Consul's probe does not verify its certificate */
    public ServingNode(HealthServer server, String advertiseHost, Integer advertisePort, NodeRecord record,
                       PresenceConfig.Builder presenceConfig, boolean tlsSkipVerify) {
        this.tlsSkipVerify = tlsSkipVerify;
        this.server = Objects.requireNonNull(server, "server");
        this.advertiseHost = Objects.requireNonNull(advertiseHost, "advertiseHost");
        this.advertisePort = advertisePort;
        this.record = Objects.requireNonNull(record, "record");
        this.presenceConfig = Objects.requireNonNull(presenceConfig, "presenceConfig");
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, record.kind().serviceName() + "-presence");
            t.setDaemon(true);
            return t;
        });
    }

    public synchronized ServingNode start() {
        try {
            server.start();
        } catch (IOException e) {
            // A port in use or an address this machine does not have: bad configuration, exit 2.
            throw new IllegalArgumentException("cannot listen for gRPC on " + server.config().host() + ":"
                    + server.config().port() + ": " + Errors.rootMessage(e));
        }
        int port = advertisePort != null ? advertisePort : server.port();
        String address = advertiseHost + ":" + port;
        CheckSpec.Grpc check = CheckSpec.Grpc.of(address).withTls(server.config().tls(), tlsSkipVerify);
        presence = Presence.create(presenceConfig.build(check),
                record.withAdvertised(advertiseHost, port), scheduler).start();
        log.info("{} serving gRPC health on {}:{}, advertised to Consul as {}", record.id(),
                server.config().host(), server.port(), address);
        return this;
    }


    public Presence presence() {
        return presence;
    }

    public int grpcPort() {
        return server.port();
    }

    public void update(UnaryOperator<NodeRecord> change) {
        presence.update(change);
    }

    /**
     * NOT_SERVING without leaving yet (a drain): Consul's probe goes critical and the node's key
     * disappears with its session. The presence is told first, so it does not take that for a lost
     * session (counted, warned about, re-created against a critical check); {@link #close()} still
     * destroys the session and deregisters.
     */
    public void markNotServing() {
        Presence current;
        synchronized (this) {
            current = presence;
        }
        if (current != null) {
            current.leaving();
        }
        server.markNotServing();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.markNotServing();
        if (presence != null) {
            presence.close();
        }
        server.close();
        scheduler.shutdownNow();
    }
}
