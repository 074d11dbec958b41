package io.edgemanifest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.kv.Value;

/** A gateway against a real Consul that probes its real gRPC health endpoint. */
class GatewayIT {

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("sg-gw");

    @TempDir
    Path dir;

    private Consul client;
    private Gateway gateway;

    @BeforeEach
    void start() {
        client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        gateway = new Gateway(new Gateway.GatewayConfig(ConsulEndpoint.parse(consul.agent().httpUrl(), null),
                dir.resolve("gw"), "127.0.0.1", 0, "127.0.0.1", null, Duration.ofMinutes(1), "9.9.9")).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        client.destroy();
    }

    private Optional<Value> key() {
        return client.keyValueClient().getValue(NodeKind.GATEWAY.keyOf(gateway.id()));
    }

    private Optional<NodeRecord> record() {
        return key().flatMap(Value::getValueAsString).flatMap(NodeRecords::fromJson);
    }

    @Test
    void gatewayPassesConsulsGrpcProbeAndPublishesItsRecordUnderASession() {
        await().atMost(Duration.ofSeconds(20)).until(() -> key().isPresent());

        assertThat(client.healthClient().getHealthyServiceInstances("gateway").getResponse())
                .anySatisfy(h -> assertThat(h.getService().getId()).isEqualTo(gateway.id()));
        assertThat(key().orElseThrow().getSession()).isEqualTo(gateway.node().presence().sessionId());
        NodeRecord record = record().orElseThrow();
        assertThat(record.kind()).isEqualTo(NodeKind.GATEWAY);
        assertThat(record.datacenter()).isEqualTo("sg-gw");
        assertThat(record.address()).isEqualTo("127.0.0.1");
        assertThat(record.port()).isEqualTo(gateway.grpcPort());
        assertThat(record.version()).isEqualTo("9.9.9");
        assertThat(client.agentClient().getChecks()).containsKey("service:" + gateway.id());
    }

    @Test
    void hostsAttachingDoNotRewriteTheGatewaysRecord() throws Exception {
        await().atMost(Duration.ofSeconds(20)).until(() -> key().isPresent());
        long before = key().orElseThrow().getModifyIndex();
        for (String name : new String[] {"h1", "h2"}) {
            String hostId = NodeIdentity.loadOrCreate(dir.resolve(name), NodeKind.HOST);
            client.agentClient().register(ImmutableRegistration.builder().id(hostId).name(hostId).addTags("host")
                    .meta(Map.of("gateway", gateway.id())).check(Registration.RegCheck.ttl(30L)).build());
            client.agentClient().pass(hostId);
        }

        // Counts are derived where they are shown: the record (and the replica's UPDATED events) stay put.
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                .until(() -> key().map(Value::getModifyIndex).orElse(-1L) == before);
        assertThat(record().orElseThrow().attachedHosts()).isNull();
    }

    @Test
    void closingLeavesAtOnceKeyFirst() {
        await().atMost(Duration.ofSeconds(20)).until(() -> key().isPresent());

        gateway.close();

        assertThat(key()).isEmpty();
        assertThat(client.agentClient().getServices()).doesNotContainKey(gateway.id());
    }

    @Test
    void notServingMakesConsulsProbeFailAndTheKeyDisappear() {
        await().atMost(Duration.ofSeconds(20)).until(() -> key().isPresent());

        gateway.node().markNotServing();

        await().atMost(Duration.ofSeconds(15)).until(() -> key().isEmpty());
        assertThat(client.healthClient().getHealthyServiceInstances("gateway").getResponse()).isEmpty();
    }

    @Test
    void consulAgentRestartedOnTheSamePortsIsHealedWithoutOperatorAction() {
        await().atMost(Duration.ofSeconds(20)).until(() -> key().isPresent());
        String oldSession = key().orElseThrow().getSession().orElseThrow();

        consul.agent().stop();
        consul.agent().start(); // a dev agent comes back empty: no service, no session, no key

        await().atMost(Duration.ofSeconds(30)).until(() -> key().isPresent());
        assertThat(key().orElseThrow().getSession()).isPresent().isNotEqualTo(Optional.of(oldSession));
        assertThat(client.healthClient().getHealthyServiceInstances("gateway").getResponse()).hasSize(1);
    }
}
