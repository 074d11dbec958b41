package io.edgemanifest.gateway.drain;

import io.edgemanifest.core.drain.proto.DrainProgress;
import io.edgemanifest.core.drain.proto.DrainRequest;
import io.edgemanifest.core.drain.proto.GatewayAdminGrpc;
import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The {@code GatewayAdmin} gRPC service: {@code Drain}, answered only to this machine ({@link LocalPeers})
 * and to a caller holding the gateway's {@link DrainSecret}.
 */
public final class DrainService extends GatewayAdminGrpc.GatewayAdminImplBase {

    private final String gatewayId;
    private final Drainer drainer;
    private final DrainSecret secret;

    public DrainService(String gatewayId, Drainer drainer, DrainSecret secret) {
        this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
        this.drainer = Objects.requireNonNull(drainer, "drainer");
        this.secret = Objects.requireNonNull(secret, "secret");
    }

    /**
     * This service behind both checks, ready to add to the gateway's server: the peer is on this
     * machine (a first, coarse layer) and presents the gateway's {@link DrainSecret} (the proof).
     */
    public BindableService localOnly() {
        // The last interceptor runs first: the address check, then the secret.
        ServerServiceDefinition definition = ServerInterceptors.intercept(this, secret.interceptor(), new LocalPeers());
        return () -> definition;
    }

    @Override
    public void drain(DrainRequest request, StreamObserver<DrainProgress> responses) {
        ServerCallStreamObserver<DrainProgress> stream = (ServerCallStreamObserver<DrainProgress>) responses;
        Object sending = new Object();
        Consumer<DrainStatus> progress = status -> {
            synchronized (sending) {
                if (!stream.isCancelled() && !status.outcome().done()) {
                    stream.onNext(toProto(status));
                }
            }
        };
        // The caller going away (Ctrl-C on the command) does not stop the drain: the gateway stays
        // NOT_SERVING and the drain runs to its end, as asked.
        // The operator's drain refuses to take the last passing gateway out of service.
        drainer.drain(progress, true).whenComplete((status, e) -> {
            synchronized (sending) {
                if (stream.isCancelled()) {
                    return;
                }
                if (e != null) {
                    stream.onError(io.grpc.Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException());
                    return;
                }
                stream.onNext(toProto(status));
                stream.onCompleted();
            }
        });
    }

    private DrainProgress toProto(DrainStatus status) {
        return DrainProgress.newBuilder()
                .setOutcome(DrainProgress.Outcome.valueOf(status.outcome().name()))
                .setAttachedHosts(status.attachedHosts())
                .setOtherPassingGateways(status.otherPassingGateways())
                .setElapsedMs(status.elapsed().toMillis())
                .setGatewayId(gatewayId)
                .build();
    }
}
