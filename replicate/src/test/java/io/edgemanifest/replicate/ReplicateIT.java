package io.edgemanifest.replicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.model.session.ImmutableSession;
import org.kiwiproject.consul.option.ImmutablePutOptions;

/**
 * One replicate instance, three real source datacenters (one reached through WAN federation, two
 * directly) and the Explorer's datacenter as destination.
 */
class ReplicateIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("explorer", "sg-a", "sg-b", "sg-c");

    private static Replicator replicator;
    private static Consul dest;
    private static Consul a;
    private static Consul b;
    private static Consul c;

    @BeforeAll
    static void startReplicate() {
        dest = client("explorer");
        a = client("sg-a");
        b = client("sg-b");
        c = client("sg-c");
        ConsulEndpoint destination = ConsulEndpoint.parse(consul.datacenter("explorer").httpUrl(), null);
        List<SourceSpec> sources = List.of(
                SourceSpec.parse("sg-a", null), // through the destination's WAN federation
                SourceSpec.parse("sg-b=" + consul.datacenter("sg-b").httpUrl(), null),
                SourceSpec.parse("sg-c=" + consul.datacenter("sg-c").httpUrl(), null));
        ReplicateSettings settings = new ReplicateSettings(List.of("manifest/"), List.of("manifest/config/secret/"),
                Duration.ofSeconds(5), 0.5, 100, Duration.ofSeconds(1), Duration.ofSeconds(1));
        replicator = new Replicator(new Replicator.ReplicateConfig(destination, sources, settings,
                Duration.ofSeconds(3), Duration.ofMillis(500))).start();
        await().atMost(Duration.ofSeconds(20)).until(() -> replicator.held().size() == 3);
    }

    @AfterAll
    static void stop() {
        replicator.close();
        List.of(dest, a, b, c).forEach(Consul::destroy);
    }

    private static Consul client(String dc) {
        return Consul.builder().withUrl(consul.datacenter(dc).httpUrl()).withPing(false).build();
    }

    private static Optional<String> replica(String dc, String key) {
        return dest.keyValueClient().getValue("replica/" + dc + "/kv/" + key).flatMap(Value::getValueAsString);
    }

    private static Optional<String> replicaService(String dc, String id) {
        return dest.keyValueClient().getValue("replica/" + dc + "/services/" + id).flatMap(Value::getValueAsString);
    }

    @Test
    void createUpdateAndDeleteAtEverySourceAppearInTheReplica() {
        for (var entry : List.of(java.util.Map.entry("sg-a", a), java.util.Map.entry("sg-b", b))) {
            Consul source = entry.getValue();
            String dc = entry.getKey();
            source.keyValueClient().putValue("manifest/config/motd", "hello " + dc);
            source.keyValueClient().putValue("manifest/config/keep", "stays");
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(dc, "manifest/config/motd").equals(Optional.of("hello " + dc)));

            source.keyValueClient().putValue("manifest/config/motd", "bye " + dc);
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(dc, "manifest/config/motd").equals(Optional.of("bye " + dc)));

            source.keyValueClient().deleteKey("manifest/config/motd");
            await().atMost(Duration.ofSeconds(10)).until(() -> replica(dc, "manifest/config/motd").isEmpty());
            assertThat(replica(dc, "manifest/config/keep")).contains("stays");
        }
    }

    @Test
    void valuesAreCopiedByteForByteWithTheirFlags() {
        byte[] bytes = {0, (byte) 0xff, 0x10, (byte) 0x80, 'x'};
        b.keyValueClient().putValue("manifest/blob", bytes, 42L, ImmutablePutOptions.builder().build());

        await().atMost(Duration.ofSeconds(10)).until(() ->
                dest.keyValueClient().getValue("replica/sg-b/kv/manifest/blob").isPresent());
        Value copy = dest.keyValueClient().getValue("replica/sg-b/kv/manifest/blob").orElseThrow();
        assertThat(copy.getValueAsBytes()).hasValueSatisfying(v -> assertThat(v).containsExactly(bytes));
        assertThat(copy.getFlags()).isEqualTo(42L);
    }

    @Test
    void aValueTooLargeForATransactionIsCopiedWholeAndLaterKeysStillFlow() {
        // 450 KB: valid at the source (Consul's limit is 512 KB) but 600 KB once base64-encoded in
        // a transaction, over its 512 KB request cap: it used to fail the scope forever (#12 item 2).
        byte[] big = new byte[450 * 1024];
        new java.util.Random(7).nextBytes(big);
        c.keyValueClient().putValue("manifest/big", big, 7L, ImmutablePutOptions.builder().build());
        c.keyValueClient().putValue("manifest/after-big", "still flowing");

        await().atMost(Duration.ofSeconds(15)).until(() -> replica("sg-c", "manifest/after-big").isPresent());
        Value copy = dest.keyValueClient().getValue("replica/sg-c/kv/manifest/big").orElseThrow();
        assertThat(copy.getValueAsBytes()).hasValueSatisfying(v -> assertThat(v).isEqualTo(big));
        assertThat(copy.getFlags()).isEqualTo(7L);
    }

    @Test
    void excludedPrefixesAndOtherPrefixesAreNotReplicated() {
        a.keyValueClient().putValue("manifest/config/secret/token", "s3cr3t");
        a.keyValueClient().putValue("other/thing", "x");
        a.keyValueClient().putValue("manifest/config/marker", "after");

        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-a", "manifest/config/marker").isPresent());
        assertThat(replica("sg-a", "manifest/config/secret/token")).isEmpty();
        assertThat(replica("sg-a", "other/thing")).isEmpty();
    }

    @Test
    void anEphemeralKeyWhoseSessionDiesAtTheSourceDiesInTheReplica() throws Exception {
        b.agentClient().register(ImmutableRegistration.builder().id("host-eph").name("host-eph").addTags("host")
                .check(Registration.RegCheck.ttl(30L)).build());
        b.agentClient().pass("host-eph");
        String session = b.sessionClient().createSession(ImmutableSession.builder().name("host-eph")
                .behavior("delete").lockDelay("0s").addChecks("serfHealth", "service:host-eph").build()).getId();
        b.keyValueClient().acquireLock("manifest/hosts/host-eph", "{\"id\":\"host-eph\"}", session);
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-b", "manifest/hosts/host-eph").isPresent());

        b.sessionClient().destroySession(session);

        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-b", "manifest/hosts/host-eph").isEmpty());
        b.agentClient().deregister("host-eph");
    }

    @Test
    void servicesAndTheirHealthAppearChangeAndDisappear() throws Exception {
        a.agentClient().register(ImmutableRegistration.builder().id("gateway-svc").name("gateway")
                .meta(java.util.Map.of("version", "1.0")).check(Registration.RegCheck.ttl(30L)).build());
        a.agentClient().pass("gateway-svc");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                replicaService("sg-a", "gateway-svc").filter(j -> j.contains("\"status\":\"passing\"")).isPresent());
        assertThat(replicaService("sg-a", "gateway-svc").orElseThrow())
                .contains("\"service\":\"gateway\"", "\"version\":\"1.0\"", "\"datacenter\":\"sg-a\"");

        a.agentClient().fail("gateway-svc");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                replicaService("sg-a", "gateway-svc").filter(j -> j.contains("\"status\":\"critical\"")).isPresent());

        a.agentClient().deregister("gateway-svc");
        await().atMost(Duration.ofSeconds(15)).until(() -> replicaService("sg-a", "gateway-svc").isEmpty());
    }

    @Test
    void aGatewayOrStargateWhoseIdIsLeftCriticalOnADeadAgentStaysPassing() throws Exception {
        // A node that fell back to another agent of its datacenter leaves its old instance behind on
        // the dead agent, critical until Consul reaps it (up to 72 h): the live instance must speak
        // for the ID (#12 item 1). The dead agent's node sorts after the live one, so "last one wins" loses.
        ConsulAgent sgA = consul.datacenter("sg-a");
        for (String service : List.of("gateway", "stargate")) {
            String id = service + "-twice";
            a.agentClient().register(ImmutableRegistration.builder().id(id).name(service)
                    .check(Registration.RegCheck.ttl(60L)).build());
            a.agentClient().pass(id);
            sgA.put("/v1/catalog/register", """
                    {"Node": "zz-dead-agent", "Address": "127.0.0.2",
                     "Service": {"ID": "%1$s", "Service": "%2$s"},
                     "Check": {"CheckID": "service:%1$s", "Name": "old", "Status": "critical", "ServiceID": "%1$s"}}"""
                    .formatted(id, service)).orElseThrow();
        }
        for (String service : List.of("gateway", "stargate")) {
            String id = service + "-twice";
            await().atMost(Duration.ofSeconds(10)).until(() -> replicaService("sg-a", id).isPresent());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(replicaService("sg-a", id).orElseThrow()).contains("\"status\":\"passing\"",
                            "\"node\":\"consul-sg-a\""));
        }
        // The live instance fails: now the ID is critical everywhere, and says so.
        a.agentClient().fail("gateway-twice");
        await().atMost(Duration.ofSeconds(10)).until(() ->
                replicaService("sg-a", "gateway-twice").filter(j -> j.contains("\"status\":\"critical\"")).isPresent());
        for (String service : List.of("gateway", "stargate")) {
            a.agentClient().deregister(service + "-twice");
        }
        sgA.put("/v1/catalog/deregister", "{\"Node\": \"zz-dead-agent\"}").orElseThrow();
    }

    @Test
    void aWriteUnderALockThisSessionDoesNotHoldIsRefusedWhole() {
        // Two writers: "old" lost the lock (frozen past its TTL, cut off), "holder" took it (#12 item 6).
        String lock = Replicator.lockKey("fence-test");
        String old = dest.sessionClient().createSession(ImmutableSession.builder().name("old").lockDelay("0s").build()).getId();
        String holder = dest.sessionClient().createSession(ImmutableSession.builder().name("holder").lockDelay("0s").build()).getId();
        assertThat(dest.keyValueClient().acquireLock(lock, "holder", holder)).isTrue();
        dest.keyValueClient().putValue("replica/fence-test/kv/manifest/keep", "by the holder");
        ReplicaWriter writer = new ReplicaWriter(ConsulEndpoint.parse(consul.datacenter("explorer").httpUrl(), null),
                new ReplicateMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(), () -> 0));
        ReplicaWriter.Fence stale = new ReplicaWriter.Fence(lock, old);
        java.util.Map<String, Entry> puts = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 100; i++) { // two transactions: neither lands
            puts.put("replica/fence-test/kv/manifest/k" + i, new Entry(java.util.Base64.getEncoder().encodeToString(("v" + i).getBytes()), 0));
        }
        byte[] big = new byte[450 * 1024]; // the plain-put path of a value too large for a transaction

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.apply("fence-test", stale, puts,
                List.of("replica/fence-test/kv/manifest/keep"))).isInstanceOf(ReplicaWriter.LockLostException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.apply("fence-test", stale,
                java.util.Map.of("replica/fence-test/kv/manifest/big", new Entry(java.util.Base64.getEncoder().encodeToString(big), 0)),
                List.of())).isInstanceOf(ReplicaWriter.LockLostException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.put(stale, "replicate/status/fence-test", "{}"))
                .isInstanceOf(ReplicaWriter.LockLostException.class);
        assertThat(dest.keyValueClient().getKeys("replica/fence-test/")).containsExactly("replica/fence-test/kv/manifest/keep");
        assertThat(dest.keyValueClient().getValue("replicate/status/fence-test")).isEmpty();

        // The lock gone with its session: refused as well ("key doesn't exist").
        dest.sessionClient().destroySession(holder);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> writer.apply("fence-test", new ReplicaWriter.Fence(lock, holder),
                puts, List.of())).isInstanceOf(ReplicaWriter.LockLostException.class);

        // The holder's own writes go through.
        assertThat(dest.keyValueClient().acquireLock(lock, "old", old)).isTrue();
        writer.apply("fence-test", stale, puts, List.of("replica/fence-test/kv/manifest/keep"));
        assertThat(dest.keyValueClient().getKeys("replica/fence-test/")).hasSize(100);
        dest.sessionClient().destroySession(old);
        dest.keyValueClient().deleteKeys("replica/fence-test/");
    }

    @Test
    void onTakingTheLockTheReplicaIsReadAgainSoAPreviousHoldersStaleWriteIsRepaired() {
        b.keyValueClient().putValue("manifest/config/truth", "v1");
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-b", "manifest/config/truth").equals(Optional.of("v1")));
        // A write by an instance that held the lock before, landed after our last read of the replica.
        dest.keyValueClient().putValue("replica/sg-b/kv/manifest/config/truth", "stale");
        dest.keyValueClient().putValue("replica/sg-b/kv/manifest/config/ghost", "never at the source");

        dest.keyValueClient().deleteKey(Replicator.lockKey("sg-b")); // the lock lost: taken again at once

        await().atMost(Duration.ofSeconds(15)).until(() -> replica("sg-b", "manifest/config/truth").equals(Optional.of("v1"))
                && replica("sg-b", "manifest/config/ghost").isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> replicator.held().contains("sg-b"));
    }

    @Test
    void aLargeReplicaKeyLeftLockedByAPreviousHoldersSessionIsTakenBackAndTheScopeKeepsFlowing() {
        // A previous holder's large-value write (?acquire, then ?release) interrupted between the two
        // by a hand-over leaves the replica key locked by that holder's live session. Our ?acquire then
        // answers "false": that is not our lock lost — taken for it, the scope stopped for good while
        // this instance still held the source, and the replica of the whole prefix froze.
        String key = "manifest/held/big";
        String replicaKey = "replica/sg-b/kv/" + key;
        String previous = dest.sessionClient().createSession(ImmutableSession.builder().name("previous-holder")
                .behavior("delete").lockDelay("0s").build()).getId();
        assertThat(dest.keyValueClient().acquireLock(replicaKey, "half written", previous)).isTrue();
        byte[] big = new byte[450 * 1024];
        new java.util.Random(11).nextBytes(big);
        b.keyValueClient().putValue(key, big, 0L, ImmutablePutOptions.builder().build());
        b.keyValueClient().putValue("manifest/held/next", "flows");

        await().atMost(Duration.ofSeconds(20)).until(() -> replica("sg-b", "manifest/held/next").isPresent());
        Value copy = dest.keyValueClient().getValue(replicaKey).orElseThrow();
        assertThat(copy.getValueAsBytes()).hasValueSatisfying(v -> assertThat(v).containsExactly(big));
        assertThat(copy.getSession()).as("no longer locked by the previous holder").isEmpty();
        b.keyValueClient().putValue("manifest/held/later", "still flows");
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-b", "manifest/held/later").isPresent());

        // The previous holder's session ends (its instance restarts): the key is ours now and stays.
        dest.sessionClient().destroySession(previous);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
                dest.keyValueClient().getValue(replicaKey).isPresent());
        List.of(key, "manifest/held/next", "manifest/held/later").forEach(k -> b.keyValueClient().deleteKey(k));
    }

    @Test
    void aReplicaKeyFoundLockedBySomeSessionOnTakingTheLockIsRewrittenUnlockedSoItOutlivesThatSession() {
        // The seed reads a right value that a previous holder's session still locks: left as it is,
        // Consul deletes it when that session ends (behavior "delete") and the replica misses it
        // silently, the diff believing it written.
        String key = "manifest/held/small";
        String replicaKey = "replica/sg-b/kv/" + key;
        b.keyValueClient().putValue(key, "s1");
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-b", key).equals(Optional.of("s1")));
        String previous = dest.sessionClient().createSession(ImmutableSession.builder().name("previous-holder")
                .behavior("delete").lockDelay("0s").build()).getId();
        assertThat(dest.keyValueClient().acquireLock(replicaKey, "s1", previous)).isTrue();

        dest.keyValueClient().deleteKey(Replicator.lockKey("sg-b")); // the lock lost: taken again, the replica read again

        await().atMost(Duration.ofSeconds(20)).until(() -> dest.keyValueClient().getValue(replicaKey)
                .filter(v -> v.getSession().isEmpty()).flatMap(Value::getValueAsString).equals(Optional.of("s1")));
        dest.sessionClient().destroySession(previous);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
                replica("sg-b", key).equals(Optional.of("s1")));
        await().atMost(Duration.ofSeconds(10)).until(() -> replicator.held().contains("sg-b"));
        b.keyValueClient().deleteKey(key);
    }

    @Test
    void statusKeyPerSourceSaysOkWithEntries() {
        await().atMost(Duration.ofSeconds(10)).until(() -> dest.keyValueClient()
                .getValue("replicate/status/sg-b").flatMap(Value::getValueAsString)
                .filter(s -> s.contains("\"state\":\"ok\"")).isPresent());
        String status = dest.keyValueClient().getValue("replicate/status/sg-b").flatMap(Value::getValueAsString).orElseThrow();
        assertThat(status).contains("\"lastIndex\"", "\"lagMillis\"", "\"entries\"", "\"lastSyncAt\"");
    }

    @Test
    void nothingIsWrittenWhileNothingChanges() {
        c.keyValueClient().putValue("manifest/idle/probe", "1");
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-c", "manifest/idle/probe").isPresent());
        // Let any write triggered by other tests' sources settle, then watch a quiet period.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(new java.util.concurrent.Callable<>() {
            long last = -1;

            @Override
            public Boolean call() {
                long now = replicator.transactions();
                boolean quiet = now == last;
                last = now;
                return quiet;
            }
        });
        long before = replicator.transactions();

        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8))
                .until(() -> replicator.transactions() == before);
    }

    @Test
    void aSourceThatGoesDownKeepsItsReplicaAndComesBackEmptyToConverge() {
        ConsulAgent sgC = consul.datacenter("sg-c");
        for (int i = 0; i < 150; i++) {
            c.keyValueClient().putValue("manifest/bulk/k" + i, "v" + i);
        }
        await().atMost(Duration.ofSeconds(15)).until(() ->
                dest.keyValueClient().getKeys("replica/sg-c/kv/manifest/bulk/").size() == 150);
        long tripsBefore = replicator.guardTrips();
        long resetsBefore = replicator.indexResets();

        sgC.stop();
        await().atMost(Duration.ofSeconds(15)).until(() -> dest.keyValueClient().getValue("replicate/status/sg-c")
                .flatMap(Value::getValueAsString).filter(s -> s.contains("\"state\":\"unreachable\"")).isPresent());
        assertThat(dest.keyValueClient().getKeys("replica/sg-c/kv/manifest/bulk/")).hasSize(150);

        sgC.start(); // a dev agent returns empty, with its index back near zero
        await().atMost(Duration.ofSeconds(30)).until(() ->
                dest.keyValueClient().getValues("replica/sg-c/kv/manifest/bulk/").isEmpty());
        assertThat(replicator.guardTrips()).as("the mass delete was confirmed first").isGreaterThan(tripsBefore);
        assertThat(replicator.indexResets()).as("the index went backwards").isGreaterThan(resetsBefore);
        await().atMost(Duration.ofSeconds(10)).until(() -> dest.keyValueClient().getValue("replicate/status/sg-c")
                .flatMap(Value::getValueAsString).filter(s -> s.contains("\"state\":\"ok\"")).isPresent());

        c.keyValueClient().putValue("manifest/after/restart", "yes");
        await().atMost(Duration.ofSeconds(10)).until(() -> replica("sg-c", "manifest/after/restart").isPresent());
    }

    @SuppressWarnings("unused")
    private static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
