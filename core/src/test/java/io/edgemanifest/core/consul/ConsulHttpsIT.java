package io.edgemanifest.core.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A host reaches its Consul over HTTPS, trusting the CA given with --consul-ca-file and nothing else. */
class ConsulHttpsIT {

    @TempDir
    static Path dir;

    private static ConsulAgent agent;
    private static TlsFiles tls;
    private static ScheduledExecutorService scheduler;

    @BeforeAll
    static void consulWithHttps() {
        tls = TlsFiles.selfSigned(dir.resolve("tls"), "consul-https");
        agent = ConsulAgent.create("https-dc").withHttps(tls).start();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterAll
    static void stop() {
        scheduler.shutdownNow();
        agent.close();
    }

    private static Presence host(String name, Path caFile) {
        ConsulEndpoint endpoint = ConsulEndpoint.parse(agent.httpsUrl(), ConsulToken.none(), caFile);
        String id = NodeIdentity.loadOrCreate(dir.resolve(name), NodeKind.HOST);
        return Presence.create(PresenceConfig.of(endpoint, CheckSpec.Ttl.of(Duration.ofSeconds(3))),
                NodeRecord.of(id, NodeKind.HOST, "1.0"), scheduler).start();
    }

    @Test
    void aHostTrustingConsulsCaIsPresentOverHttps() {
        try (Presence presence = host("trusting", tls.cert())) {
            await().atMost(Duration.ofSeconds(15)).until(() -> presence.state() == PresenceState.PRESENT);
            assertThat(agent.get("/v1/kv/" + NodeKind.HOST.keyOf(presence.record().id()))).isPresent();
        }
    }

    @Test
    void aHostThatDoesNotTrustTheCertificateNeverTalksToConsul() {
        try (Presence presence = host("untrusting", null)) {
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(4))
                    .until(() -> presence.state() != PresenceState.PRESENT);
            assertThat(agent.get("/v1/kv/" + NodeKind.HOST.keyOf(presence.record().id()))).isEmpty();
        }
    }
}
