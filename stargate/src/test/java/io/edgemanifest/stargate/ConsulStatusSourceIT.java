package io.edgemanifest.stargate;

import io.edgemanifest.core.consul.ConsulEndpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.ConsulExtension;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.session.ImmutableSession;

/** {@link ConsulStatusSource} against a real Consul datacenter. */
class ConsulStatusSourceIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-test");

    private Consul client;
    private ConsulStatusSource source;

    @BeforeEach
    void connect() {
        String url = consul.datacenter("sg-test").httpUrl();
        client = Consul.builder().withUrl(url).withPing(false).build();
        source = new ConsulStatusSource(ConsulEndpoint.parse(url, null));
    }

    @AfterEach
    void disconnect() {
        source.close();
        client.destroy();
    }

    @Test
    void countsPassingHostsAndGatewaysAndSessions() throws Exception {
        client.agentClient().register(ImmutableRegistration.builder()
                .id("host-1").name("host-1").addTags(ConsulStatusSource.HOST_TAG).check(Registration.RegCheck.ttl(30L)).build());
        client.agentClient().pass("host-1");
        // A gateway whose TTL check never passed is critical: it must not be counted.
        client.agentClient().register(ImmutableRegistration.builder()
                .id("gateway-1").name(ConsulStatusSource.GATEWAY_SERVICE).check(Registration.RegCheck.ttl(30L)).build());
        client.sessionClient().createSession(ImmutableSession.builder()
                .name("host-1").behavior("delete").lockDelay("0s").addChecks("serfHealth", "service:host-1")
                .build());

        // The agent syncs check state to the catalog asynchronously: wait for it, not for a fixed time.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(source.snapshot()).isEqualTo(new StatusSnapshot("sg-test", 1, 0, 1)));
        assertThat(client.healthClient().getAllServiceInstances(ConsulStatusSource.GATEWAY_SERVICE).getResponse())
                .as("the gateway is registered, just not passing").hasSize(1);
    }

    @Test
    void anAclTokenIsSentWithoutBreakingAnOpenAgent() {
        // The dev agent has ACLs off and ignores tokens; this proves the token path builds a working client.
        try (ConsulStatusSource withToken = new ConsulStatusSource(
                ConsulEndpoint.parse(consul.datacenter("sg-test").httpUrl(), "some-token"))) {
            assertThat(withToken.snapshot().datacenter()).isEqualTo("sg-test");
        }
    }

    @Test
    void anUnreachableConsulFailsTheSnapshot() {
        try (ConsulStatusSource nowhere = new ConsulStatusSource(ConsulEndpoint.parse("http://127.0.0.1:1", null))) {
            assertThatThrownBy(nowhere::snapshot).isInstanceOf(RuntimeException.class);
        }
    }

    @Test
    void rejectsABadUrlNamingIt() {
        assertThatThrownBy(() -> ConsulEndpoint.parse("127.0.0.1:8500", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'127.0.0.1:8500'");
    }
}
