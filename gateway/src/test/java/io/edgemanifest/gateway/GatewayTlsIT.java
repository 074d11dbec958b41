package io.edgemanifest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.grpc.HealthServer;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.TlsFiles;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A gateway serving gRPC over TLS: Consul's probe speaks TLS to it, plaintext clients are refused. */
class GatewayTlsIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-tls");

    @TempDir
    Path dir;

    @Test
    void consulsTlsProbePassesAndOnlyTlsClientsGetAnAnswer() throws Exception {
        TlsFiles tls = TlsFiles.selfSigned(dir.resolve("tls"), "gateway");
        Gateway.GatewayConfig config = new Gateway.GatewayConfig(
                ConsulEndpoint.parse(consul.agent().httpUrl(), null), dir.resolve("gw"),
                new HealthServer.Config("127.0.0.1", 0, tls.cert(), tls.key()), "127.0.0.1", null,
                Duration.ofMinutes(1), "1.0", true);
        try (Gateway gateway = new Gateway(config).start()) {
            // The session needs Consul's gRPC probe passing: the key appears only if the TLS probe works.
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> consul.agent().get("/v1/kv/" + NodeKind.GATEWAY.keyOf(gateway.id())).isPresent());
            assertThat(consul.agent().get("/v1/health/service/gateway?passing").orElseThrow()).contains(gateway.id());

            ManagedChannel secure = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.grpcPort(),
                    TlsChannelCredentials.newBuilder().trustManager(tls.cert().toFile()).build()).build();
            ManagedChannel plain = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.grpcPort(),
                    InsecureChannelCredentials.create()).build();
            try {
                assertThat(HealthGrpc.newBlockingStub(secure).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()).getStatus())
                        .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
                assertThatThrownBy(() -> HealthGrpc.newBlockingStub(plain).withDeadlineAfter(5, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()))
                        .isInstanceOf(StatusRuntimeException.class);
            } finally {
                secure.shutdownNow();
                plain.shutdownNow();
            }

            // The operator's drain speaks TLS too: dialled by IP, verified under the certificate's name.
            // The gateway answers (it is the only one passing, so it refuses and keeps serving).
            java.io.StringWriter out = new java.io.StringWriter();
            var cli = io.edgemanifest.core.cli.Cli.commandLine(new GatewayMain());
            cli.setOut(new java.io.PrintWriter(out));
            int code = cli.execute("drain", "--address", "127.0.0.1:" + gateway.grpcPort(),
                    "--state-dir", config.stateDir().toString(), "--ca-file", tls.cert().toString(), "--authority", "localhost");
            assertThat(code).as(out.toString()).isEqualTo(1);
            assertThat(out.toString()).contains(gateway.id() + ": not draining: no other gateway passes");
        }
    }
}
