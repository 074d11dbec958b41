package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.choice.Rendezvous;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.gateway.Gateway;
import io.edgemanifest.gateway.GatewayMain;
import io.edgemanifest.gateway.drain.DrainStatus;
import io.edgemanifest.testing.ConsulExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;

/**
 * A gateway drains before it leaves: real Consul, real gateways (Consul probes their gRPC health),
 * real hosts in-process choosing among the passing gateways. Here rather than in the gateway module:
 * the gateway cannot depend on host-agent, which already runs real gateways in its tests.
 */
class GatewayDrainIT {

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("sg-drain");

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Consul client;

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    private ConsulEndpoint endpoint() {
        return ConsulEndpoint.parse(consul.agent().httpUrl(), null);
    }

    private Consul client() {
        if (client == null) {
            client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
            closeables.add(0, client::destroy);
        }
        return client;
    }

    private Gateway gateway(String name, Duration drainTimeout) {
        return closing(new Gateway(new Gateway.GatewayConfig(endpoint(), dir.resolve(name), "127.0.0.1", 0,
                "127.0.0.1", null, Duration.ofMinutes(1), "test").withDrainTimeout(drainTimeout)).start());
    }

    private HostAgent host(String name) {
        return closing(new HostAgent(new HostAgentConfig(HostAgentConfig.oneAgentEach(List.of(endpoint())), dir.resolve(name),
                CheckSpec.Ttl.of(Duration.ofSeconds(3)), null, Map.of(), Duration.ofSeconds(30), Duration.ofMinutes(1), "test")).start());
    }

    private String gatewayOf(String hostId) {
        return client().keyValueClient().getValue(NodeKind.HOST.keyOf(hostId)).flatMap(Value::getValueAsString)
                .flatMap(NodeRecords::fromJson).map(NodeRecord::gateway).orElse(null);
    }

    private int passingGateways() {
        return client().healthClient().getHealthyServiceInstances("gateway").getResponse().size();
    }

    private boolean registered(Gateway gateway) {
        return client().agentClient().getServices().containsKey(gateway.id());
    }

    @Test
    void hostsMoveToTheOtherGatewayBeforeTheDrainedOneDeregisters() throws Exception {
        Gateway a = gateway("gw-a", Duration.ofSeconds(60));
        Gateway b = gateway("gw-b", Duration.ofSeconds(60));
        List<HostAgent> hosts = List.of(host("h1"), host("h2"), host("h3"), host("h4"));
        await().atMost(Duration.ofSeconds(20)).until(() -> passingGateways() == 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> hosts.stream().allMatch(h ->
                Rendezvous.choose(h.id(), List.of(a.id(), b.id())).orElseThrow().equals(gatewayOf(h.id()))));
        // The gateway with more hosts goes: at least two of four must move.
        long onA = hosts.stream().filter(h -> a.id().equals(gatewayOf(h.id()))).count();
        Gateway leaving = onA >= 2 ? a : b;
        Gateway staying = leaving == a ? b : a;

        long started = System.nanoTime();
        CompletableFuture<Void> stop = CompletableFuture.runAsync(leaving::close); // what SIGTERM runs

        await().atMost(Duration.ofSeconds(20)).until(() -> !registered(leaving));
        stop.get(5, TimeUnit.SECONDS);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        // Every host's last write (naming the other gateway) precedes the drained gateway's last catalog
        // change, its deregistration: Consul's own (raft) order, not a race of our polls.
        await().atMost(Duration.ofSeconds(5)).until(() -> client().catalogClient().getService("gateway").getResponse()
                .stream().noneMatch(s -> leaving.id().equals(s.getServiceId()))); // the agent syncs it to the catalog
        BigInteger deregistered = client().catalogClient().getService("gateway").getIndex();
        for (HostAgent h : hosts) {
            assertThat(gatewayOf(h.id())).isEqualTo(staying.id());
            long written = client().keyValueClient().getValue(NodeKind.HOST.keyOf(h.id())).orElseThrow().getModifyIndex();
            assertThat(BigInteger.valueOf(written)).as("host %s record written before the gateway left", h.id())
                    .isLessThan(deregistered);
        }
        // One gRPC check interval (5 s) for Consul to fail it, then the hosts' writes: far from the 60 s bound.
        assertThat(took).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(15));
    }

    @Test
    void drainCommandEndsAtOnceWhenNoHostNamesTheGatewayWhichStaysUpNotServing() {
        Gateway a = gateway("gw-a", Duration.ofSeconds(60));
        gateway("gw-b", Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(20)).until(() -> passingGateways() == 2);
        StringWriter out = new StringWriter();
        var cli = Cli.commandLine(new GatewayMain());
        cli.setOut(new PrintWriter(out));

        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        // Without the gateway's drain-secret (another gateway's state dir): refused, still serving.
        assertThat(cli.execute("drain", "--address", "127.0.0.1:" + a.grpcPort(),
                "--state-dir", dir.resolve("gw-b").toString())).isEqualTo(1);
        assertThat(err.toString()).contains("UNAUTHENTICATED");
        assertThat(passingGateways()).isEqualTo(2);

        long started = System.nanoTime();
        int code = cli.execute("drain", "--address", "127.0.0.1:" + a.grpcPort(), "--state-dir", dir.resolve("gw-a").toString());

        assertThat(code).as(err.toString()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(3));
        assertThat(out.toString()).contains(a.id() + ": drained in");
        // Drained, not gone: still registered, and Consul's probe fails it until the operator stops it.
        await().atMost(Duration.ofSeconds(15)).until(() -> passingGateways() == 1);
        assertThat(registered(a)).isTrue();
    }

    @Test
    void theOperatorCannotDrainTheLastGatewayAndAStopDoesNotWaitForHostsThatHaveNowhereToGo() throws Exception {
        Gateway only = gateway("gw-only", Duration.ofSeconds(60));
        HostAgent h = host("h1");
        await().atMost(Duration.ofSeconds(20)).until(() -> only.id().equals(gatewayOf(h.id())));
        StringWriter err = new StringWriter();
        var cli = Cli.commandLine(new GatewayMain());
        cli.setErr(new PrintWriter(err));

        int code = cli.execute("drain", "--address", "127.0.0.1:" + only.grpcPort(),
                "--state-dir", dir.resolve("gw-only").toString());

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("refused").contains(only.id());
        // Still SERVING (asked directly: Consul's probe runs only every 5 s), still passing, the host stays.
        var channel = io.grpc.Grpc.newChannelBuilderForAddress("127.0.0.1", only.grpcPort(),
                io.grpc.InsecureChannelCredentials.create()).build();
        try {
            assertThat(io.grpc.health.v1.HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance()).getStatus())
                    .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
        } finally {
            channel.shutdownNow();
        }
        assertThat(passingGateways()).isEqualTo(1);
        assertThat(gatewayOf(h.id())).isEqualTo(only.id());

        // A stop drains anyway, and does not wait for hosts that have nowhere to go.
        DrainStatus status = only.drain().get(10, TimeUnit.SECONDS);

        assertThat(status.outcome()).isEqualTo(DrainStatus.Outcome.NOWHERE_TO_GO);
        assertThat(status.attachedHosts()).isEqualTo(1);
        assertThat(status.elapsed()).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aHostThatNeverMovesHoldsTheDrainOnlyUntilTheTimeoutAndASecondStopCutsItShort() throws Exception {
        Gateway a = gateway("gw-a", Duration.ofSeconds(3));
        gateway("gw-b", Duration.ofSeconds(3));
        await().atMost(Duration.ofSeconds(20)).until(() -> passingGateways() == 2);
        // A host stuck on the gateway (its agent never tells it the gateway failed): its record stays.
        String stuck = "host-00000000-0000-4000-8000-000000000001";
        client().keyValueClient().putValue(NodeKind.HOST.keyOf(stuck),
                NodeRecords.toJson(NodeRecord.of(stuck, NodeKind.HOST, "test").withGateway(a.id())));

        DrainStatus status = a.drain().get(15, TimeUnit.SECONDS);

        assertThat(status.outcome()).isEqualTo(DrainStatus.Outcome.TIMED_OUT);
        assertThat(status.attachedHosts()).isEqualTo(1);
        assertThat(status.elapsed()).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(5));

        // Stopping drains again (up to 3 s more); a second signal leaves at once.
        long started = System.nanoTime();
        CompletableFuture<Void> stop = CompletableFuture.runAsync(a::close);
        await().atMost(Duration.ofSeconds(2)).until(() -> a.drain().getNow(null) == null); // the stop's drain runs
        a.stopWaiting();
        stop.get(3, TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(2500));
        assertThat(registered(a)).isFalse();
    }
}
