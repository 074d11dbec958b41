package io.edgemanifest.stargate.enrol;

import io.edgemanifest.core.enrol.TokenFile;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Stargate's enrolment endpoint: the {@code Enrolment} service over TLS — always, it carries
 * join token secrets and Consul tokens — on its own port beside the plaintext gRPC port, with a
 * certificate from the Stargate's {@link EnrolmentCa}.
 *
 * <p>At start it writes to the state dir what a local operator's {@code stargate enrol-token
 * create} needs: {@code admin-secret} (mode 0600, new at every start: whoever can read the
 * Stargate's files may issue join tokens, nobody else) and {@code enrol-address} (where to dial).
 */
public final class EnrolmentServer implements AutoCloseable {

    public static final String ADMIN_SECRET_FILE = "admin-secret";
    public static final String ADDRESS_FILE = "enrol-address";

    private static final Logger log = LoggerFactory.getLogger(EnrolmentServer.class);

    private final Path stateDir;
    private final String bind;
    private final Server server;
    private boolean started;
    private boolean closed;

    /**
     * @param names the host names and addresses the certificate must carry (advertised host, bind address)
     */
    public EnrolmentServer(Path stateDir, String bind, int port, EnrolmentCa ca, List<String> names,
                           BindableService service) {
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.bind = Objects.requireNonNull(bind, "bind");
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("invalid --enrol-port " + port + ": must be 0 (any free port) to 65535");
        }
        ServerCredentials tls = TlsServerCredentials.newBuilder()
                .keyManager(ca.issueServer(names).keyManagers())
                .build();
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(bind, port), tls)
                .addService(service)
                .build();
    }

    /** A fresh admin secret (256 bits, hex), stored in the state dir with mode 0600. */
    public static String newAdminSecret(Path stateDir) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        String secret = HexFormat.of().formatHex(bytes);
        TokenFile.write(stateDir.resolve(ADMIN_SECRET_FILE), secret);
        return secret;
    }

    /**
     * Binds the port and writes {@code enrol-address}.
     *
     * @throws IllegalArgumentException when the port cannot be bound (in use: bad config)
     */
    public synchronized EnrolmentServer start() {
        if (closed) {
            throw new IllegalStateException("enrolment server is closed");
        }
        if (started) {
            return this;
        }
        try {
            server.start();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot listen for enrolment on " + bind + ": " + e.getMessage());
        }
        started = true;
        // A wildcard bind cannot be dialled; a local CLI reaches it on loopback.
        boolean wildcard = bind.equals("0.0.0.0") || bind.equals("::") || bind.equals("[::]");
        String host = wildcard ? "127.0.0.1" : bind;
        String address = (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
        TokenFile.writeOwnerOnly(stateDir.resolve(ADDRESS_FILE), address + "\n");
        log.info("enrolment (TLS) listening on {}:{}", bind, port());
        return this;
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
        log.info("enrolment endpoint on {} stopped", bind);
    }
}
