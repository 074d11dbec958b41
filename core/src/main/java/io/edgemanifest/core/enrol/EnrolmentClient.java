package io.edgemanifest.core.enrol;

import io.edgemanifest.core.enrol.proto.ConfirmRotationReply;
import io.edgemanifest.core.enrol.proto.ConfirmRotationRequest;
import io.edgemanifest.core.enrol.proto.CreateJoinTokenReply;
import io.edgemanifest.core.enrol.proto.CreateJoinTokenRequest;
import io.edgemanifest.core.enrol.proto.EnrolReply;
import io.edgemanifest.core.enrol.proto.EnrolRequest;
import io.edgemanifest.core.enrol.proto.EnrolmentGrpc;
import io.edgemanifest.core.enrol.proto.RotateReply;
import io.edgemanifest.core.enrol.proto.RotateRequest;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Dials a Stargate's {@code Enrolment} service over TLS, trusting only the CA its pin names
 * ({@link PinnedTrustManager}). Used by host-agent (enrol, rotate) and by {@code stargate
 * enrol-token create}. Every failure is an {@link EnrolmentException} with a one-line message that
 * never contains a secret.
 */
public final class EnrolmentClient implements AutoCloseable {

    /** How long one call may take: enrolment writes a policy, a token and two keys to Consul. */
    public static final Duration DEADLINE = Duration.ofSeconds(15);

    private final HostPort address;
    private final ManagedChannel channel;
    private final EnrolmentGrpc.EnrolmentBlockingStub stub;

    private EnrolmentClient(HostPort address, ManagedChannel channel) {
        this.address = address;
        this.channel = channel;
        this.stub = EnrolmentGrpc.newBlockingStub(channel);
    }

    /** A client for the Stargate at {@code address} whose CA certificate has SHA-256 {@code caPin}. */
    public static EnrolmentClient connect(HostPort address, String caPin) {
        Objects.requireNonNull(address, "address");
        ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
                .trustManager(new PinnedTrustManager(caPin))
                .build();
        return new EnrolmentClient(address, Grpc.newChannelBuilderForAddress(address.host(), address.port(), credentials)
                .build());
    }

    public HostPort address() {
        return address;
    }

    /** Spends one use of {@code token} on a Consul token for {@code hostId}. The token's pin must match {@link #connect}'s. */
    public EnrolReply enrol(JoinToken token, String hostId) {
        EnrolRequest request = EnrolRequest.newBuilder()
                .setJoinTokenId(token.id())
                .setJoinTokenSecret(token.secret())
                .setHostId(hostId)
                .build();
        return call("enrol", () -> stub().enrol(request));
    }

    /** A new token for {@code hostId}, authorised by the one it holds now. */
    public RotateReply rotate(String hostId, String currentToken) {
        RotateRequest request = RotateRequest.newBuilder().setHostId(hostId).setCurrentToken(currentToken).build();
        return call("rotate", () -> stub().rotate(request));
    }

    /** Deletes the host's tokens other than {@code newToken}, authorised by it. */
    public ConfirmRotationReply confirmRotation(String hostId, String newToken) {
        ConfirmRotationRequest request = ConfirmRotationRequest.newBuilder().setHostId(hostId).setNewToken(newToken).build();
        return call("confirm rotation", () -> stub().confirmRotation(request));
    }

    /** Asks the Stargate for a join token, authorised by its admin secret. */
    public CreateJoinTokenReply createJoinToken(String adminSecret, Duration ttl, int uses) {
        CreateJoinTokenRequest request = CreateJoinTokenRequest.newBuilder()
                .setAdminSecret(adminSecret)
                .setTtlSeconds(ttl.toSeconds())
                .setUses(uses)
                .build();
        return call("create join token", () -> stub().createJoinToken(request));
    }

    private EnrolmentGrpc.EnrolmentBlockingStub stub() {
        return stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T call(String what, Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw translate(what, e);
        }
    }

    private EnrolmentException translate(String what, StatusRuntimeException e) {
        Status status = e.getStatus();
        String description = oneLine(status.getDescription());
        EnrolmentException.Kind kind = switch (status.getCode()) {
            case PERMISSION_DENIED, INVALID_ARGUMENT, ALREADY_EXISTS, UNAUTHENTICATED, NOT_FOUND, FAILED_PRECONDITION,
                 OUT_OF_RANGE -> EnrolmentException.Kind.REFUSED;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> untrusted(e) ? EnrolmentException.Kind.UNTRUSTED
                    : EnrolmentException.Kind.UNREACHABLE;
            default -> EnrolmentException.Kind.FAILED;
        };
        String message = switch (kind) {
            case REFUSED -> "stargate at " + address + " refused to " + what + ": " + description;
            case UNTRUSTED -> "stargate at " + address + " is not trusted: " + certificateProblem(e)
                    + " (nothing was sent to it)";
            case UNREACHABLE -> "no answer from stargate at " + address + " (" + status.getCode()
                    + (description.isEmpty() ? "" : ": " + description) + ")";
            case FAILED -> "stargate at " + address + " failed to " + what + " (" + status.getCode()
                    + (description.isEmpty() ? "" : ": " + description) + ")";
        };
        return new EnrolmentException(kind, message, e);
    }

    private static boolean untrusted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CertificateException || t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    /** The innermost certificate complaint, which is ours (PinnedTrustManager) when the pin is wrong. */
    private static String certificateProblem(Throwable e) {
        String found = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if ((t instanceof CertificateException || t instanceof SSLException) && t.getMessage() != null) {
                found = t.getMessage();
            }
        }
        return found == null ? "TLS handshake failed" : oneLine(found);
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
