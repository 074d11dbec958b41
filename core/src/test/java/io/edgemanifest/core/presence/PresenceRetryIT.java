package io.edgemanifest.core.presence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.fault.FaultProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;

/** How a presence retries when Consul fails it: through a fault proxy in front of one shared real datacenter. */
class PresenceRetryIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-retry");

    @TempDir
    Path stateDir;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
    }

    private Presence startHost(String id, FaultProxy proxy) {
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        closeables.add(scheduler::shutdownNow);
        PresenceConfig config = PresenceConfig.of(ConsulEndpoint.parse(proxy.url(), null), CheckSpec.Ttl.of(TTL))
                .withMaxBackoff(Duration.ofSeconds(2));
        Presence presence = Presence.create(config, NodeRecord.of(id, NodeKind.HOST, "1.2.3")
                .withLabels(Map.of("owner", "alice")), scheduler).start();
        closeables.add(presence);
        return presence;
    }

    private FaultProxy proxy() {
        FaultProxy proxy = FaultProxy.to(consul.agent().httpUrl());
        closeables.add(proxy);
        return proxy;
    }

    private Consul client() {
        Consul client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        closeables.add(client::destroy);
        return client;
    }

    @Test
    void aSessionCreateWhoseAnswerIsLostLeavesNoOrphanSession() {
        FaultProxy proxy = proxy();
        Consul direct = client();
        // The first create reaches Consul (which creates the session) but its answer comes after
        // the request timeout (1 s at TTL 3 s): the presence never learns the ID.
        proxy.delayAnswers("PUT /v1/session/create", Duration.ofSeconds(3), 1);
        String id = NodeIdentity.loadOrCreate(stateDir.resolve("orphan"), NodeKind.HOST);
        Presence presence = startHost(id, proxy);

        await().atMost(Duration.ofSeconds(20)).until(() -> presence.state() == PresenceState.PRESENT);
        assertThat(proxy.requests("PUT /v1/session/create")).as("a retry after the lost answer").isGreaterThanOrEqualTo(2);
        String holder = direct.keyValueClient().getValue(NodeKind.HOST.keyOf(id)).flatMap(Value::getSession).orElseThrow();
        assertThat(direct.sessionClient().listSessions().stream().filter(s -> s.getName().orElse("").equals(id)))
                .as("only the session holding the key").singleElement()
                .satisfies(s -> assertThat(s.getId()).isEqualTo(holder));
    }

    @Test
    void updatesWhileConsulIsUnreachableWaitForTheBackOff() throws Exception {
        FaultProxy proxy = proxy().refuse();
        String id = NodeIdentity.loadOrCreate(stateDir.resolve("eager"), NodeKind.HOST);
        Presence presence = startHost(id, proxy);
        await().atMost(Duration.ofSeconds(10)).until(() -> presence.state() == PresenceState.UNREACHABLE);

        // A gateway flapping while Consul is down: the host's record changes every 20 ms for 2 s.
        int before = proxy.connections();
        AtomicInteger updates = new AtomicInteger();
        ScheduledExecutorService flapper = Executors.newSingleThreadScheduledExecutor();
        try {
            flapper.scheduleAtFixedRate(() -> presence.update(r -> r.withGateway("gateway-" + updates.incrementAndGet() % 2)),
                    0, 20, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> updates.get() >= 100);
        } finally {
            flapper.shutdownNow();
        }
        int attempts = proxy.connections() - before;

        // Back-off (max 2 s here) allows a handful of attempts in 2 s, not one per update.
        assertThat(attempts).as("connection attempts during %d updates", updates.get()).isLessThan(20);
        proxy.restore();
        await().atMost(Duration.ofSeconds(10)).until(() -> presence.state() == PresenceState.PRESENT);
        assertThat(client().keyValueClient().getValue(NodeKind.HOST.keyOf(id)).flatMap(Value::getValueAsString).orElseThrow())
                .as("the last change is written once Consul is back").contains(presence.record().gateway());
    }
}
