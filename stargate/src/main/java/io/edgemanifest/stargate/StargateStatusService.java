package io.edgemanifest.stargate;

import io.edgemanifest.stargate.v1.StargateGrpc;
import io.edgemanifest.stargate.v1.StatusReply;
import io.edgemanifest.stargate.v1.StatusRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Answers {@code edge.stargate.v1.Stargate/Status} from a {@link StatusSource}, read afresh on every call. */
public final class StargateStatusService extends StargateGrpc.StargateImplBase {

    private static final Logger log = LoggerFactory.getLogger(StargateStatusService.class);

    private final String stargateId;
    private final StatusSource source;

    public StargateStatusService(String stargateId, StatusSource source) {
        if (stargateId == null || stargateId.isBlank()) {
            throw new IllegalArgumentException("invalid stargate id '" + stargateId + "': must not be empty");
        }
        this.stargateId = stargateId;
        this.source = Objects.requireNonNull(source, "source");
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusReply> responseObserver) {
        StatusSnapshot snapshot;
        try {
            snapshot = source.snapshot();
        } catch (RuntimeException e) {
            // The caller learns why in one line; the stack trace stays in our log.
            log.warn("stargate {}: cannot read status", stargateId, e);
            responseObserver.onError(Status.UNAVAILABLE
                    .withDescription("stargate " + stargateId + " cannot read its datacenter: " + e.getMessage())
                    .asRuntimeException());
            return;
        }
        responseObserver.onNext(StatusReply.newBuilder()
                .setDatacenter(snapshot.datacenter())
                .setPassingHosts(snapshot.passingHosts())
                .setPassingGateways(snapshot.passingGateways())
                .setSessions(snapshot.sessions())
                .setStargateId(stargateId)
                .build());
        responseObserver.onCompleted();
    }
}
