package io.edgemanifest.core.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real Netty server on loopback, asked by a real health client over a real channel. */
class HealthServerTest {

    private HealthServer server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() throws Exception {
        server = HealthServer.builder(new HealthServer.Config("127.0.0.1", 0)).build().start();
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
                .build();
    }

    @AfterEach
    void stopServer() throws Exception {
        channel.shutdownNow();
        assertThat(channel.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        server.close();
    }

    private ServingStatus check() {
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.newBuilder().setService("").build())
                .getStatus();
    }

    @Test
    void bindsAFreePortWhenAskedForPortZero() {
        assertThat(server.port()).isBetween(1, 65_535);
    }

    @Test
    void isServingAfterStart() {
        assertThat(check()).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void isNotServingAfterMarkNotServingButStillAnswers() {
        server.markNotServing();
        assertThat(check()).isEqualTo(ServingStatus.NOT_SERVING);
    }

    @Test
    void reportsNotServingToWatchersBeforeClosingThePort() {
        List<ServingStatus> seen = new CopyOnWriteArrayList<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.newBuilder().setService("").build(),
                new ClientResponseObserver<HealthCheckRequest, HealthCheckResponse>() {
                    private ClientCallStreamObserver<HealthCheckRequest> call;

                    @Override
                    public void beforeStart(ClientCallStreamObserver<HealthCheckRequest> requestStream) {
                        call = requestStream;
                    }

                    @Override
                    public void onNext(HealthCheckResponse response) {
                        seen.add(response.getStatus());
                        if (response.getStatus() == ServingStatus.NOT_SERVING) {
                            // A well-behaved client leaves once told; the server can then stop at once.
                            call.cancel("server is going away", null);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                    }

                    @Override
                    public void onCompleted() {
                    }
                });
        await().atMost(Duration.ofSeconds(5)).until(() -> seen.contains(ServingStatus.SERVING));

        Instant before = Instant.now();
        server.close();

        assertThat(seen).containsExactly(ServingStatus.SERVING, ServingStatus.NOT_SERVING);
        assertThat(Duration.between(before, Instant.now()))
                .as("the watcher left when told, so close() did not need the whole grace period")
                .isLessThan(HealthServer.SHUTDOWN_GRACE);
    }

    @Test
    void noLongerAnswersAfterClose() {
        assertThat(check()).isEqualTo(ServingStatus.SERVING);

        server.close();
        server.close(); // idempotent

        assertThatThrownBy(this::check)
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 65_536, 70_000})
    void rejectsABadPortNamingIt(int port) {
        assertThatThrownBy(() -> new HealthServer.Config("127.0.0.1", port))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(port));
    }

    @Test
    void rejectsAnEmptyHost() {
        assertThatThrownBy(() -> new HealthServer.Config(" ", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
