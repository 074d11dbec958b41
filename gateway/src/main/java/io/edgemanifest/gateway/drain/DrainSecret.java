package io.edgemanifest.gateway.drain;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The secret a {@code Drain} call must present: written by the gateway at every start to
 * {@code <state-dir>/drain-secret}, mode 0600, so only the gateway's own user (and root) can read it
 * and drain it. "The peer is on this machine" alone is not proof: a local proxy (TLS terminator, SSH
 * tunnel, sidecar) makes remote callers look local, and any local user could drain.
 */
public final class DrainSecret {

    public static final String FILE = "drain-secret";
    /** The gRPC metadata the secret travels in. */
    public static final io.grpc.Metadata.Key<String> HEADER =
            io.grpc.Metadata.Key.of("edge-drain-secret", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] value;

    private DrainSecret(String value) {
        this.value = value.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A new secret (256 random bits), replacing the file of an earlier run: written to a 0600 file
     * first and renamed over, so it is never readable by others, not even for a moment.
     *
     * @throws IllegalArgumentException when the state dir cannot take it
     */
    public static DrainSecret create(Path stateDir) {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        String secret = HexFormat.of().formatHex(bytes);
        Path file = stateDir.resolve(FILE);
        try {
            Files.createDirectories(stateDir);
            Path tmp = Files.createTempFile(stateDir, FILE, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, secret + "\n", StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalArgumentException("state dir " + stateDir + " cannot hold " + FILE + ": " + e.getMessage());
        }
        return new DrainSecret(secret);
    }

    /**
     * The secret of the gateway running with {@code stateDir}, for the {@code drain} command.
     *
     * @throws IllegalArgumentException naming the file when it is missing or not readable
     */
    public static String read(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        try {
            return Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("invalid --state-dir '" + stateDir + "': no " + FILE
                    + " (the gateway's own state dir, e.g. /var/lib/edge-manifest/gateway, while it runs)");
        } catch (AccessDeniedException e) {
            throw new IllegalArgumentException("cannot read " + file + ": permission denied (run as root or as the "
                    + "gateway's user)");
        } catch (IOException e) {
            throw new IllegalArgumentException("invalid --state-dir '" + stateDir + "': " + e.getMessage());
        }
    }

    /** Whether {@code presented} is this secret, in time independent of where they differ. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(value, presented.getBytes(StandardCharsets.US_ASCII));
    }

    /** The server side: a call without the secret gets UNAUTHENTICATED, before anything runs. */
    public io.grpc.ServerInterceptor interceptor() {
        return new io.grpc.ServerInterceptor() {
            @Override
            public <Q, A> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, A> call,
                    io.grpc.Metadata headers, io.grpc.ServerCallHandler<Q, A> next) {
                if (!matches(headers.get(HEADER))) {
                    org.slf4j.LoggerFactory.getLogger(DrainSecret.class).warn("refused {} from {}: no valid {}",
                            call.getMethodDescriptor().getFullMethodName(),
                            call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR), FILE);
                    call.close(io.grpc.Status.UNAUTHENTICATED.withDescription("the gateway's " + FILE
                            + " is required (drain --state-dir)"), new io.grpc.Metadata());
                    return new io.grpc.ServerCall.Listener<>() {
                    };
                }
                return next.startCall(call, headers);
            }
        };
    }

    @Override
    public String toString() {
        return "DrainSecret[redacted]";
    }

    static DrainSecret of(String value) {
        return new DrainSecret(Objects.requireNonNull(value, "value"));
    }
}
