package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.gateway.Gateway;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;

/** Hosts in-process against real Consul datacenters and real gateways: gateway choice and migration. */
class HostAgentIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("sg-one", "sg-two");

    @TempDir
    Path dir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

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

    private ConsulEndpoint endpoint(String dc) {
        return ConsulEndpoint.parse(consul.datacenter(dc).httpUrl(), null);
    }


    private Consul clientFor(String dc) {
        Consul c = Consul.builder().withUrl(consul.datacenter(dc).httpUrl()).withPing(false).build();
        closeables.add(c::destroy);
        return c;
    }

    private HostAgent startHost(String name, Duration migrateAfter, String... datacenters) {
        List<ConsulEndpoint> endpoints = java.util.Arrays.stream(datacenters).map(this::endpoint).toList();
        return closing(new HostAgent(new HostAgentConfig(HostAgentConfig.oneAgentEach(endpoints), dir.resolve(name), CheckSpec.Ttl.of(TTL),
                null, Map.of(), migrateAfter, Duration.ofMinutes(1), "test")).start());
    }

    private Gateway startGateway(String name, String dc) {
        return closing(new Gateway(new Gateway.GatewayConfig(endpoint(dc), dir.resolve(name), "127.0.0.1", 0,
                "127.0.0.1", null, Duration.ofMinutes(1), "test")).start());
    }

    private static Optional<Value> key(Consul c, NodeKind kind, String id) {
        return c.keyValueClient().getValue(kind.keyOf(id));
    }

    private static String gatewayOf(Consul c, String hostId) {
        return key(c, NodeKind.HOST, hostId).flatMap(Value::getValueAsString).flatMap(NodeRecords::fromJson)
                .map(r -> r.gateway()).orElse(null);
    }

    @Test
    void hostAttachesToAPassingGatewayAndMovesWhenItStopsServing() {
        Consul sg = clientFor("sg-one");
        Gateway a = startGateway("gw-a", "sg-one");
        Gateway b = startGateway("gw-b", "sg-one");
        HostAgent host = startHost("host", Duration.ofSeconds(30), "sg-one");

        await().atMost(Duration.ofSeconds(20)).until(() -> gatewayOf(sg, host.id()) != null);
        // Let both gateways pass so the choice is among both, then read it.
        await().atMost(Duration.ofSeconds(20)).until(() ->
                sg.healthClient().getHealthyServiceInstances("gateway").getResponse().size() == 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> io.edgemanifest.core.choice.Rendezvous
                .choose(host.id(), List.of(a.id(), b.id())).orElseThrow().equals(gatewayOf(sg, host.id())));
        String chosen = gatewayOf(sg, host.id());
        Gateway chosenGateway = chosen.equals(a.id()) ? a : b;
        Gateway other = chosenGateway == a ? b : a;
        assertThat(sg.agentClient().getServices().get(host.id()).getMeta()).containsEntry("gateway", chosen);

        chosenGateway.node().markNotServing();

        // Consul's own gRPC probe goes critical, the gateway's session dies with it, and so does its key.
        await().atMost(Duration.ofSeconds(15)).until(() -> key(sg, NodeKind.GATEWAY, chosen).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> other.id().equals(gatewayOf(sg, host.id())));
        assertThat(host.presence().state()).isEqualTo(PresenceState.PRESENT);
    }

    @Test
    void hostWithoutAnyGatewayStaysPresentWithGatewayNull() {
        Consul sg = clientFor("sg-one");
        HostAgent host = startHost("lonely", Duration.ofSeconds(30), "sg-one");

        await().atMost(Duration.ofSeconds(15)).until(() -> key(sg, NodeKind.HOST, host.id()).isPresent());
        assertThat(gatewayOf(sg, host.id())).isNull();
        assertThat(sg.agentClient().getServices().get(host.id()).getMeta()).doesNotContainKey("gateway");
    }

    @Test
    void aHostThatLeftAnAgentWhileItWasDownDeregistersThereWhenItAnswersAgain() {
        Consul one = clientFor("sg-one");
        Consul two = clientFor("sg-two");
        try (io.edgemanifest.testing.fault.FaultProxy proxy = io.edgemanifest.testing.fault.FaultProxy.to(consul.datacenter("sg-one").httpUrl())) {
            List<ConsulEndpoint> endpoints = List.of(ConsulEndpoint.parse(proxy.url(), null), endpoint("sg-two"));
            HostAgent host = closing(new HostAgent(new HostAgentConfig(HostAgentConfig.oneAgentEach(endpoints), dir.resolve("returning"),
                    CheckSpec.Ttl.of(TTL), null, Map.of(), Duration.ofSeconds(4), Duration.ofMinutes(1), "test")).start());
            await().atMost(Duration.ofSeconds(15)).until(() -> one.agentClient().getServices().containsKey(host.id()));

            proxy.refuse(); // the agent is gone for the host (its state is kept, as an agent that restarts with its data)
            await().atMost(Duration.ofSeconds(30)).until(() -> key(two, NodeKind.HOST, host.id()).isPresent());
            assertThat(one.agentClient().getServices()).as("still registered on the agent it could not reach")
                    .containsKey(host.id());

            proxy.restore();
            // Consul's own reaper would take deregister-after (1 min) past the TTL; the host does it on its next try.
            await().atMost(Duration.ofSeconds(20)).until(() -> !one.agentClient().getServices().containsKey(host.id()));
            assertThat(key(two, NodeKind.HOST, host.id())).isPresent();
            assertThat(two.agentClient().getServices()).containsKey(host.id());
        }
    }

    @Test
    void hostMigratesWhenItsDatacenterStaysUnreachableAndLeavesNothingBehind() {
        Consul one = clientFor("sg-one");
        Consul two = clientFor("sg-two");
        HostAgent host = startHost("migrant", Duration.ofSeconds(4), "sg-one", "sg-two");
        await().atMost(Duration.ofSeconds(15)).until(() -> key(one, NodeKind.HOST, host.id()).isPresent());
        ConsulAgent first = consul.datacenter("sg-one");

        first.freeze(); // hung, state kept: our session and key are still in there
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> key(two, NodeKind.HOST, host.id()).isPresent());
            assertThat(NodeRecords.fromJson(key(two, NodeKind.HOST, host.id()).flatMap(Value::getValueAsString)
                    .orElseThrow()).orElseThrow().datacenter()).isEqualTo("sg-two");
        } finally {
            first.thaw();
        }

        // Back from the dead, sg-one expires our check and, with it, the session and the key.
        await().atMost(TTL.plusSeconds(10)).until(() -> key(one, NodeKind.HOST, host.id()).isEmpty());
        assertThat(key(two, NodeKind.HOST, host.id())).isPresent();
        assertThat(host.attachedTo()).contains(endpoint("sg-two"));
    }
}
