package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.stargate.v1.StargateGrpc;
import io.edgemanifest.stargate.v1.StatusReply;
import io.edgemanifest.stargate.v1.StatusRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Status RPC over a real loopback server and channel, fed by a source the test controls. */
class StargateStatusServiceTest {

    private final AtomicReference<StatusSnapshot> current =
            new AtomicReference<>(new StatusSnapshot("sg-eu", 42, 3, 45));
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();

    private HealthServer server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        StatusSource source = () -> {
            RuntimeException e = failure.get();
            if (e != null) {
                throw e;
            }
            return current.get();
        };
        server = HealthServer.builder(new HealthServer.Config("127.0.0.1", 0))
                .addService(new StargateStatusService("stargate-eu-1", source))
                .build().start();
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow();
        assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        server.close();
    }

    private StatusReply status() {
        return StargateGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance());
    }

    @Test
    void repliesWithTheSourcesNumbersAndItsOwnId() {
        StatusReply reply = status();

        assertThat(reply.getDatacenter()).isEqualTo("sg-eu");
        assertThat(reply.getPassingHosts()).isEqualTo(42);
        assertThat(reply.getPassingGateways()).isEqualTo(3);
        assertThat(reply.getSessions()).isEqualTo(45);
        assertThat(reply.getStargateId()).isEqualTo("stargate-eu-1");
    }

    @Test
    void readsTheSourceAfreshOnEveryCall() {
        assertThat(status().getPassingHosts()).isEqualTo(42);

        current.set(new StatusSnapshot("sg-eu", 41, 3, 44));

        assertThat(status().getPassingHosts()).isEqualTo(41);
        assertThat(status().getSessions()).isEqualTo(44);
    }

    @Test
    void aSourceThatCannotReadIsUnavailableWithTheReason() {
        failure.set(new IllegalStateException("Consul at http://127.0.0.1:1 refused the connection"));

        assertThatThrownBy(this::status)
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(e.getStatus().getDescription())
                            .contains("stargate-eu-1").contains("refused the connection");
                });
    }

    @Test
    void rejectsAnEmptyStargateId() {
        assertThatThrownBy(() -> new StargateStatusService(" ", current::get))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
