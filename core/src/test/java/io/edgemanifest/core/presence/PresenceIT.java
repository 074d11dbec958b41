package io.edgemanifest.core.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.health.HealthCheck;
import org.kiwiproject.consul.model.kv.Value;

/** A host's presence against a real Consul: appear, stay, heal, leave. Each test gets a fresh datacenter. */
class PresenceIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    final ConsulExtension consul = ConsulExtension.datacenters("sg-presence");

    @TempDir
    Path stateDir;

    private final List<ScheduledExecutorService> schedulers = new ArrayList<>();
    private final List<Presence> presences = new ArrayList<>();
    private Consul client;

    @BeforeEach
    void connect() {
        client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
    }

    @AfterEach
    void cleanUp() {
        presences.forEach(Presence::close);
        schedulers.forEach(ScheduledExecutorService::shutdownNow);
        client.destroy();
    }

    private Presence startHost(String id) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        schedulers.add(scheduler);
        PresenceConfig config = PresenceConfig.of(endpoint(), CheckSpec.Ttl.of(TTL))
                .withMaxBackoff(Duration.ofSeconds(1))
                .withVerifyInterval(Duration.ofSeconds(1));
        Presence presence = Presence.create(config, NodeRecord.of(id, NodeKind.HOST, "1.2.3")
                .withLabels(Map.of("owner", "alice")), scheduler).start();
        presences.add(presence);
        return presence;
    }

    private ConsulEndpoint endpoint() {
        return ConsulEndpoint.parse(consul.agent().httpUrl(), null);
    }

    private String newId() {
        return NodeIdentity.loadOrCreate(stateDir.resolve("n" + presences.size()), NodeKind.HOST);
    }

    private Optional<Value> key(String id) {
        return client.keyValueClient().getValue(NodeKind.HOST.keyOf(id));
    }

    private boolean servicePassing(String id) {
        return client.healthClient().getHealthyServiceInstances(id).getResponse().stream()
                .anyMatch(h -> h.getService().getId().equals(id));
    }

    private void awaitPresent(Presence presence) {
        await().atMost(Duration.ofSeconds(15)).until(() -> presence.state() == PresenceState.PRESENT);
    }

    @Test
    void hostIsPassingWithItsRecordUnderItsSession() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);

        assertThat(servicePassing(id)).isTrue();
        Value value = key(id).orElseThrow();
        assertThat(value.getSession()).isEqualTo(presence.sessionId());
        NodeRecord record = NodeRecords.fromJson(value.getValueAsString().orElseThrow()).orElseThrow();
        assertThat(record.id()).isEqualTo(id);
        assertThat(record.kind()).isEqualTo(NodeKind.HOST);
        assertThat(record.datacenter()).isEqualTo("sg-presence");
        assertThat(record.version()).isEqualTo("1.2.3");
        assertThat(record.labels()).containsEntry("owner", "alice");
        assertThat(record.hardware().cpus()).isPositive();
        var service = client.agentClient().getServices().get(id);
        assertThat(service.getMeta()).containsEntry("kind", "host").containsEntry("version", "1.2.3");
    }

    @Test
    void gracefulCloseRemovesTheKeyAtOnceAndDeregisters() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);

        presence.close();

        assertThat(key(id)).isEmpty();
        assertThat(client.agentClient().getServices()).doesNotContainKey(id);
        assertThat(presence.state()).isEqualTo(PresenceState.CLOSED);
    }

    @Test
    void keyIsGoneWithinTtlPlusTwoSecondsAfterHeartbeatsStop() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);

        Instant stopped = Instant.now();
        schedulers.get(0).shutdownNow(); // the process froze or died: no more beats, no goodbye

        await().atMost(TTL.plusSeconds(2)).pollInterval(Duration.ofMillis(100)).until(() -> key(id).isEmpty());
        // The last beat came up to one heartbeat (TTL/2) before the stop, give or take scheduling.
        assertThat(Duration.between(stopped, Instant.now()))
                .isGreaterThanOrEqualTo(TTL.minus(CheckSpec.Ttl.of(TTL).heartbeat()).minusMillis(250));
        await().atMost(Duration.ofSeconds(3)).until(() -> !servicePassing(id));
    }

    @Test
    void aHeartbeatGapLongerThanTheTtlIsHealedAtOnceNotAtTheNextRoutineVerify() throws Exception {
        String id = newId();
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        schedulers.add(scheduler);
        // Routine verify far away: only the gap can explain a quick heal.
        PresenceConfig config = PresenceConfig.of(endpoint(), CheckSpec.Ttl.of(TTL)).withVerifyInterval(Duration.ofMinutes(10));
        Presence presence = Presence.create(config, NodeRecord.of(id, NodeKind.HOST, "1.2.3"), scheduler).start();
        presences.add(presence);
        awaitPresent(presence);
        String firstSession = presence.sessionId().orElseThrow();

        // The process stalls (a long GC pause, a suspended laptop): its only thread is busy past the TTL.
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        scheduler.execute(() -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(TTL.plusSeconds(3)).pollInterval(Duration.ofMillis(100)).until(() -> key(id).isEmpty());
        release.countDown();

        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> key(id).flatMap(Value::getSession).filter(s -> !s.equals(firstSession)).isPresent());
        assertThat(key(id).flatMap(Value::getSession)).isEqualTo(presence.sessionId());
    }

    @Test
    void changingTheRecordRewritesTheKeyAndTheServiceMeta() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);
        String gateway = NodeIdentity.loadOrCreate(stateDir.resolve("gw"), NodeKind.GATEWAY);

        presence.update(r -> r.withGateway(gateway));

        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> {
            NodeRecord record = NodeRecords.fromJson(key(id).flatMap(Value::getValueAsString).orElseThrow()).orElseThrow();
            assertThat(record.gateway()).isEqualTo(gateway);
            assertThat(client.agentClient().getServices().get(id).getMeta()).containsEntry("gateway", gateway);
        });
        assertThat(key(id).orElseThrow().getSession()).isEqualTo(presence.sessionId());
        assertThat(servicePassing(id)).as("re-registering kept the check passing").isTrue();
    }

    @Test
    void consulAgentRestartedOnTheSamePortsIsHealedWithoutOperatorAction() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);
        String oldSession = presence.sessionId().orElseThrow();
        ConsulAgent agent = consul.agent();

        agent.stop();
        await().atMost(Duration.ofSeconds(10)).until(() -> presence.state() == PresenceState.UNREACHABLE);
        agent.start();

        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            assertThat(servicePassing(id)).isTrue();
            assertThat(key(id)).isPresent();
        });
        assertThat(key(id).orElseThrow().getSession()).isPresent().isNotEqualTo(Optional.of(oldSession));
        assertThat(presence.state()).isEqualTo(PresenceState.PRESENT);
    }

    @Test
    void sessionDestroyedFromOutsideIsNoticedAndTheKeyRewritten() {
        String id = newId();
        Presence presence = startHost(id);
        awaitPresent(presence);
        String oldSession = presence.sessionId().orElseThrow();

        client.sessionClient().destroySession(oldSession);
        assertThat(key(id)).isEmpty();

        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().untilAsserted(() -> {
            Value value = key(id).orElseThrow();
            assertThat(value.getSession()).isPresent().isNotEqualTo(Optional.of(oldSession));
            assertThat(value.getSession()).isEqualTo(presence.sessionId());
        });
    }

    @Test
    void restartWithTheSameIdReplacesTheStaleSessionAndTheKeyOutlivesIt() {
        String id = newId();
        Presence first = startHost(id);
        awaitPresent(first);
        String staleSession = first.sessionId().orElseThrow();
        schedulers.get(0).shutdownNow(); // killed: its session is still alive, bound to the same check

        Presence second = startHost(id);
        awaitPresent(second);
        assertThat(second.sessionId()).isPresent().isNotEqualTo(Optional.of(staleSession));
        assertThat(client.sessionClient().getSessionInfo(staleSession)).isEmpty();

        // The trap: had the stale session survived, its invalidation would delete the new key.
        Instant until = Instant.now().plus(TTL.multipliedBy(2));
        await().atMost(TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(250)).until(() -> {
            assertThat(key(id)).isPresent();
            return Instant.now().isAfter(until);
        });
        assertThat(key(id).orElseThrow().getSession()).isEqualTo(second.sessionId());
    }

    @Test
    void aValueThatIsNotOursAtOurKeyIsOverwritten() {
        String id = newId();
        client.keyValueClient().putValue(NodeKind.HOST.keyOf(id), "{not json");

        Presence presence = startHost(id);
        awaitPresent(presence);

        String value = key(id).flatMap(Value::getValueAsString).orElseThrow();
        assertThat(NodeRecords.fromJson(value)).map(NodeRecord::id).contains(id);
    }

    @Test
    void startsWhileConsulIsDownAndAppearsWhenItComesUp() {
        ConsulAgent agent = consul.agent();
        agent.stop();
        String id = newId();
        Presence presence = startHost(id);
        await().atMost(Duration.ofSeconds(10)).until(() -> presence.state() == PresenceState.UNREACHABLE);

        agent.start();

        await().atMost(Duration.ofSeconds(15)).until(() -> key(id).isPresent() && servicePassing(id));
    }

    @SuppressWarnings("unused")
    private static boolean passing(HealthCheck check) {
        return "passing".equals(check.getStatus());
    }

    @Test
    void aNodeGoingNotServingOnPurposeIsNotCountedAsALostSessionAndLeavesCleanly() {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        io.micrometer.core.instrument.Metrics.addRegistry(registry);
        String id = NodeIdentity.loadOrCreate(stateDir.resolve("gw"), NodeKind.GATEWAY);
        // Probed and verified every second: without the presence told, its lost session would be
        // counted within a second or two of the check failing.
        ServingNode node = new ServingNode(io.edgemanifest.core.grpc.HealthServer.builder(
                new io.edgemanifest.core.grpc.HealthServer.Config("127.0.0.1", 0)).build(), "127.0.0.1", null,
                NodeRecord.of(id, NodeKind.GATEWAY, "1.2.3"), check -> PresenceConfig.of(endpoint(),
                        new CheckSpec.Grpc(((CheckSpec.Grpc) check).address(), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                        .withVerifyInterval(Duration.ofSeconds(1)));
        try {
            node.start();
            await().atMost(Duration.ofSeconds(15)).until(() -> client.keyValueClient().getValue(NodeKind.GATEWAY.keyOf(id)).isPresent());

            node.markNotServing();

            await().atMost(Duration.ofSeconds(10)).until(() -> client.keyValueClient().getValue(NodeKind.GATEWAY.keyOf(id)).isEmpty());
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() ->
                    registry.find("edge.presence.sessions.lost").tag("kind", "gateway").counters().stream()
                            .mapToDouble(io.micrometer.core.instrument.Counter::count).sum() == 0
                            && client.keyValueClient().getValue(NodeKind.GATEWAY.keyOf(id)).isEmpty());
            node.close();
            assertThat(client.agentClient().getServices()).doesNotContainKey(id);
        } finally {
            node.close();
            io.micrometer.core.instrument.Metrics.removeRegistry(registry);
        }
    }
}
