package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.fault.FaultOutcome;
import io.edgemanifest.testing.fault.FaultProxy;
import io.edgemanifest.testing.fault.FaultReport;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;

/**
 * Hosts on a real Consul agent behind a delaying TCP proxy. Slow is not down: with every answer 5 s
 * late no host migrates and none loses its session; a 500 that is not "unknown check" costs no
 * re-registration; a frozen agent (no answers at all) is left, but not by every host in the same second.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlowAgentFaultIT {

    /** Long enough that a beat answered 5 s late still lands within the TTL; migrate-after = TTL (+ jitter). */
    private static final Duration TTL = Duration.ofSeconds(9);
    private static final int HOSTS = 4;

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-slow-a", "sg-slow-b");

    @TempDir
    static Path dir;

    private static FaultProxy proxy;
    private static Consul a;
    private static Consul b;
    private static final List<HostAgent> hosts = new ArrayList<>();
    private static final Map<String, String> sessions = new LinkedHashMap<>();

    @BeforeAll
    static void startHosts() {
        proxy = FaultProxy.to(consul.datacenter("sg-slow-a").httpUrl());
        a = Consul.builder().withUrl(consul.datacenter("sg-slow-a").httpUrl()).withPing(false).build();
        b = Consul.builder().withUrl(consul.datacenter("sg-slow-b").httpUrl()).withPing(false).build();
        List<List<ConsulEndpoint>> datacenters = List.of(
                List.of(ConsulEndpoint.parse(proxy.url(), null)),
                List.of(ConsulEndpoint.parse(consul.datacenter("sg-slow-b").httpUrl(), null)));
        for (int i = 0; i < HOSTS; i++) {
            hosts.add(new HostAgent(new HostAgentConfig(datacenters, dir.resolve("h" + i), CheckSpec.Ttl.of(TTL), null,
                    Map.of(), TTL, Duration.ofMinutes(1), "test")).start());
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> hosts.stream().allMatch(h -> holder(a, h).isPresent()));
        hosts.forEach(h -> sessions.put(h.id(), holder(a, h).orElseThrow()));
    }

    @AfterAll
    static void stop() {
        hosts.parallelStream().forEach(HostAgent::close);
        proxy.close();
        a.destroy();
        b.destroy();
    }

    private static Optional<String> holder(Consul c, HostAgent host) {
        return c.keyValueClient().getValue(NodeKind.HOST.keyOf(host.id())).flatMap(Value::getSession);
    }

    private static boolean allHeldBySameSessionsInA() {
        return hosts.stream().allMatch(h -> holder(a, h).equals(Optional.of(sessions.get(h.id()))));
    }

    private static boolean noneInB() {
        return hosts.stream().allMatch(h -> holder(b, h).isEmpty());
    }

    @Test
    @Order(1)
    void anAgentAnsweringFiveSecondsLateKeepsEveryHostWithItsSession() {
        int keyReadsBefore = proxy.requests("GET /v1/kv/manifest");
        proxy.delayAnswers(Duration.ofSeconds(5));
        // Longer than migrate-after with its jitter (up to 13.5 s) and than three TTLs.
        await().during(Duration.ofSeconds(30)).atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500))
                .until(() -> allHeldBySameSessionsInA() && noneInB());
        long restored = System.nanoTime();
        proxy.restore();
        // Back to normal: every host verifies its key again (it asked nothing but heartbeats while slow).
        int readsAtRestore = proxy.requests("GET /v1/kv/manifest");
        await().atMost(Duration.ofSeconds(20)).until(() -> proxy.requests("GET /v1/kv/manifest") >= readsAtRestore + HOSTS);
        double recovery = (System.nanoTime() - restored) / 1e9;

        assertThat(hosts).allSatisfy(h -> {
            assertThat(h.attachedTo()).contains(ConsulEndpoint.parse(proxy.url(), null));
            assertThat(h.presence().state()).isEqualTo(PresenceState.PRESENT);
        });
        assertThat(allHeldBySameSessionsInA()).isTrue();
        FaultReport.record(new FaultOutcome("SlowAgentFaultIT",
                "hosts' Consul agent answers every request 5 s late for 30 s (TTL 9 s)",
                "no host migrates, same sessions and keys throughout (no false OFFLINE)",
                recovery, 0, HOSTS + " hosts; heartbeats retried with a one-TTL timeout; key reads while slow: "
                        + (readsAtRestore - keyReadsBefore)));
    }

    @Test
    @Order(2)
    void aServerErrorOnHeartbeatsIsRetriedWithoutRegisteringAgain() {
        int registersBefore = proxy.requests("PUT /v1/agent/service/register");
        int passesBefore = proxy.requests("PUT /v1/agent/check/pass");
        int injected = 3 * HOSTS;
        proxy.answer("PUT /v1/agent/check/pass", 500, "rpc error making call: leadership lost while committing log", injected);
        long started = System.nanoTime();
        // Every 500 served, and each host beating normally again after it.
        await().atMost(Duration.ofSeconds(30)).until(() -> proxy.requests("PUT /v1/agent/check/pass") >= passesBefore + injected + HOSTS
                && hosts.stream().allMatch(h -> h.presence().state() == PresenceState.PRESENT));
        double recovery = (System.nanoTime() - started) / 1e9;

        assertThat(proxy.requests("PUT /v1/agent/service/register")).as("no re-registration (each one a full anti-entropy sync)")
                .isEqualTo(registersBefore);
        assertThat(allHeldBySameSessionsInA()).isTrue();
        assertThat(noneInB()).isTrue();
        FaultReport.record(new FaultOutcome("SlowAgentFaultIT",
                "agent answers 500 (not \"unknown check\") to " + injected + " heartbeats",
                "no re-registration, same sessions and keys, hosts PRESENT again",
                recovery, 0, "register requests during the fault: 0"));
    }

    @Test
    @Order(3)
    void aFrozenAgentIsLeftButNotByEveryHostInTheSameSecond() {
        Map<String, Long> movedAt = new ConcurrentHashMap<>();
        long frozen = System.nanoTime();
        proxy.delayAnswers(Duration.ofMinutes(5)); // accepts, never answers: a hung agent
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (HostAgent h : hosts) {
                if (!h.attachedTo().orElseThrow().url().toString().equals(proxy.url())) {
                    movedAt.putIfAbsent(h.id(), System.nanoTime());
                }
            }
            return movedAt.size() == HOSTS;
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> hosts.stream().allMatch(h -> holder(b, h).isPresent()));
        double first = (movedAt.values().stream().mapToLong(Long::longValue).min().orElseThrow() - frozen) / 1e9;
        double last = (movedAt.values().stream().mapToLong(Long::longValue).max().orElseThrow() - frozen) / 1e9;
        proxy.restore();

        assertThat(first).as("no host leaves before the agent was unreachable for migrate-after").isGreaterThanOrEqualTo(TTL.toSeconds() - 1.0);
        FaultReport.record(new FaultOutcome("SlowAgentFaultIT",
                "hosts' Consul agent hangs (accepts, never answers)",
                "every host moves to its next datacenter after migrate-after + per-host jitter, not all at once",
                last, 0, String.format(java.util.Locale.ROOT, "%d hosts moved between %.1f s and %.1f s (migrate-after 9 s + up to 4.5 s)",
                        HOSTS, first, last)));
    }
}
