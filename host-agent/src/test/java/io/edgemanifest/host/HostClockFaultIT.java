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
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * A host whose wall clock is stepped by an hour (NTP at boot) during a 1 s outage of its Consul
 * agent, with an injected clock (libfaketime is not installed): every interval is monotonic, so the
 * outage lasts about a second for the host too — it must not migrate, nor lose its session or key.
 * And a clock stepped back an hour must not postpone the host's key verification by an hour.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostClockFaultIT {

    /** Heartbeat 2 s: a 1 s outage is half a beat to a beat, well inside the TTL. */
    private static final Duration TTL = Duration.ofSeconds(6);
    /** Well above what a 1 s outage costs (the outage, a tick, a back-off), far below an hour. */
    private static final Duration MIGRATE_AFTER = Duration.ofSeconds(10);

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-clock-a", "sg-clock-b");

    @TempDir
    static Path dir;

    private static FaultProxy proxy;
    private static SteppingTicker ticker;
    private static HostAgent host;
    private static Consul a;
    private static Consul b;

    @BeforeAll
    static void startHost() {
        proxy = FaultProxy.to(consul.datacenter("sg-clock-a").httpUrl());
        a = Consul.builder().withUrl(consul.datacenter("sg-clock-a").httpUrl()).withPing(false).build();
        b = Consul.builder().withUrl(consul.datacenter("sg-clock-b").httpUrl()).withPing(false).build();
        ticker = new SteppingTicker();
        List<List<ConsulEndpoint>> datacenters = List.of(
                List.of(ConsulEndpoint.parse(proxy.url(), null)),
                List.of(ConsulEndpoint.parse(consul.datacenter("sg-clock-b").httpUrl(), null)));
        host = new HostAgent(new HostAgentConfig(datacenters, dir.resolve("host"), CheckSpec.Ttl.of(TTL), null, Map.of(),
                MIGRATE_AFTER, Duration.ofMinutes(1), "test"), null, null, ticker).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> holder(a).isPresent());
    }

    @AfterAll
    static void stop() {
        if (host != null) {
            host.close();
        }
        proxy.close();
        a.destroy();
        b.destroy();
    }

    private static Optional<String> holder(Consul c) {
        return c.keyValueClient().getValue(NodeKind.HOST.keyOf(host.id())).flatMap(Value::getSession);
    }

    private static long sessionsNamedAfterHost(Consul c) {
        return c.sessionClient().listSessions().stream().filter(s -> s.getName().orElse("").equals(host.id())).count();
    }

    @Test
    @Order(1)
    void aWallClockSteppedForwardAnHourDuringAOneSecondOutageMovesNothing() {
        String session = holder(a).orElseThrow();
        Value before = a.keyValueClient().getValue(NodeKind.HOST.keyOf(host.id())).orElseThrow();

        long refused = System.nanoTime();
        proxy.refuse();
        ticker.step(Duration.ofHours(1));
        // The outage lasts a second, and until the host has met it (its next beat fails).
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() ->
                host.presence().state() == PresenceState.UNREACHABLE && System.nanoTime() - refused >= 1_000_000_000L);
        long restored = System.nanoTime();
        proxy.restore();

        await().atMost(Duration.ofSeconds(10)).until(() -> host.presence().state() == PresenceState.PRESENT);
        double recovery = (System.nanoTime() - restored) / 1e9;
        // Two supervision rounds more: a host that believed in an hour-long outage would move now.
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);

        assertThat(host.attachedTo()).contains(ConsulEndpoint.parse(proxy.url(), null));
        assertThat(host.presence().unreachableFor()).isZero();
        assertThat(holder(a)).as("same session: the check never expired, the key never went").contains(session);
        Value after = a.keyValueClient().getValue(NodeKind.HOST.keyOf(host.id())).orElseThrow();
        assertThat(after.getCreateIndex()).isEqualTo(before.getCreateIndex());
        assertThat(after.getModifyIndex()).as("nothing changed, nothing rewritten (the key was verified several times)")
                .isEqualTo(before.getModifyIndex());
        assertThat(holder(b)).as("no migration").isEmpty();
        assertThat(sessionsNamedAfterHost(a)).as("no orphan session").isEqualTo(1);
        assertThat(sessionsNamedAfterHost(b)).isZero();

        FaultReport.record(new FaultOutcome("HostClockFaultIT",
                "host wall clock stepped +1 h during a 1 s Consul outage (injected clock)",
                "no migration, same session and key (no false OFFLINE), no orphan session",
                recovery, 0, String.format(java.util.Locale.ROOT, "outage %.1f s, TTL 6 s, migrate-after 10 s",
                        (restored - refused) / 1e9)));
    }

    @Test
    @Order(2)
    void aWallClockSteppedBackAnHourStillLetsTheHostNoticeALostSessionWithinOneTtl() {
        String session = holder(a).orElseThrow();
        ticker.step(Duration.ofHours(-2)); // an hour behind real time now

        // Any host on the agent may destroy another's session (Consul 1.8): the record goes with it.
        long destroyed = System.nanoTime();
        a.sessionClient().destroySession(session);
        await().atMost(TTL.plusSeconds(3)).until(() -> holder(a).filter(s -> !s.equals(session)).isPresent());
        double detection = (System.nanoTime() - destroyed) / 1e9;

        assertThat(host.attachedTo()).contains(ConsulEndpoint.parse(proxy.url(), null));
        assertThat(sessionsNamedAfterHost(a)).as("no orphan session").isEqualTo(1);
        assertThat(detection).isLessThanOrEqualTo(TTL.toSeconds() + 1.0);

        FaultReport.record(new FaultOutcome("HostClockFaultIT",
                "host wall clock stepped -1 h, then its session destroyed",
                "record rewritten under a new session within one TTL (the verify interval is monotonic)",
                detection, 0, "TTL 6 s"));
    }
}
