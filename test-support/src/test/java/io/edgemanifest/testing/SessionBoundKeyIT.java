package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.session.ImmutableSession;

/**
 * The mechanism the whole design rests on, proven against a real Consul: a key acquired by a
 * session bound to a service's TTL check lives while the check passes and dies with it.
 */
class SessionBoundKeyIT {

    private static final long TTL_SECONDS = 3;

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.single();

    private Consul client;

    @BeforeEach
    void connect() {
        client = Consul.builder().withUrl(consul.agent().httpUrl()).build();
    }

    @AfterEach
    void disconnect() {
        client.destroy();
    }

    @Test
    void keyLivesWhileTheTtlCheckPassesAndIsGoneWithinTtlPlusTwoSecondsAfterHeartbeatsStop() throws Exception {
        String id = "host-mechanism-1";
        String key = "manifest/hosts/" + id;
        client.agentClient().register(ImmutableRegistration.builder()
                .id(id).name("host")
                .check(Registration.RegCheck.ttl(TTL_SECONDS))
                .build());
        // A critical check refuses a session: pass it first.
        client.agentClient().pass(id);
        String session = client.sessionClient().createSession(ImmutableSession.builder()
                .name(id).behavior("delete").lockDelay("0s")
                .addChecks("serfHealth", "service:" + id)
                .build()).getId();

        assertThat(client.keyValueClient().acquireLock(key, "{\"id\":\"" + id + "\"}", session)).isTrue();

        // Heartbeat for two full TTLs: the key must survive the whole time.
        Instant keepUntil = Instant.now().plusSeconds(2 * TTL_SECONDS);
        await().atMost(Duration.ofSeconds(4 * TTL_SECONDS)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            client.agentClient().pass(id);
            assertThat(client.keyValueClient().getValueAsString(key)).isPresent();
            return Instant.now().isAfter(keepUntil);
        });

        client.agentClient().pass(id);
        Instant lastBeat = Instant.now();
        AtomicReference<Instant> goneAt = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(TTL_SECONDS + 2)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (client.keyValueClient().getValueAsString(key).isEmpty()) {
                goneAt.set(Instant.now());
                return true;
            }
            return false;
        });

        assertThat(Duration.between(lastBeat, goneAt.get()))
                .as("the key outlives the last heartbeat by about one TTL")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(TTL_SECONDS - 1));
        assertThat(client.sessionClient().getSessionInfo(session)).as("the session died with the check").isEmpty();
    }

    @Test
    void destroyingTheSessionDeletesTheKeyAtOnce() throws Exception {
        String id = "host-mechanism-2";
        String key = "manifest/hosts/" + id;
        client.agentClient().register(ImmutableRegistration.builder()
                .id(id).name("host").check(Registration.RegCheck.ttl(30L)).build());
        client.agentClient().pass(id);
        String session = client.sessionClient().createSession(ImmutableSession.builder()
                .name(id).behavior("delete").lockDelay("0s").addChecks("serfHealth", "service:" + id)
                .build()).getId();
        assertThat(client.keyValueClient().acquireLock(key, "{}", session)).isTrue();

        client.sessionClient().destroySession(session);

        assertThat(client.keyValueClient().getValueAsString(key)).isEmpty();
    }

    @Test
    void aSessionCannotBeCreatedWhileTheCheckIsCritical() throws Exception {
        String id = "host-mechanism-3";
        client.agentClient().register(ImmutableRegistration.builder()
                .id(id).name("host").check(Registration.RegCheck.ttl(30L)).build());
        client.agentClient().fail(id);

        var session = ImmutableSession.builder().name(id).behavior("delete").lockDelay("0s")
                .addChecks("serfHealth", "service:" + id).build();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.sessionClient().createSession(session))
                .hasMessageContaining("critical");
    }
}
