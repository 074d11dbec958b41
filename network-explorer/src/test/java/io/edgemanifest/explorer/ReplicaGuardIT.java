package io.edgemanifest.explorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.Event;
import io.edgemanifest.explorer.store.EventType;
import io.edgemanifest.testing.ConsulExtension;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/**
 * The Explorer's own guard against an OFFLINE storm (#12 item 7): an answer that takes away most of
 * a datacenter at once is confirmed by a re-read before anything goes OFFLINE, and a datacenter
 * replicate still reports as syncing concludes no OFFLINE. The replica is written directly here
 * (replicate's own guards are tested in its module).
 */
class ReplicaGuardIT {

    private static final String DC = "sg-g";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("explorer");

    @TempDir
    Path dir;

    private Consul kv;
    private Explorer explorer;

    @BeforeEach
    void start() {
        kv = Consul.builder().withUrl(consul.datacenter("explorer").httpUrl()).withPing(false).build();
        kv.keyValueClient().deleteKeys("replica/");
        kv.keyValueClient().deleteKeys("replicate/status/");
        status("ok");
        for (int i = 0; i < 10; i++) {
            kv.keyValueClient().putValue(recordKey(i), "{\"version\":\"1\"}");
            kv.keyValueClient().putValue(serviceKey(i), "{\"status\":\"passing\"}");
        }
        explorer = new Explorer(ConsulEndpoint.parse(consul.datacenter("explorer").httpUrl(), null),
                TestStores.h2(dir.resolve("explorer")), Map.of("host", 0.4), Clock.systemUTC()).start("127.0.0.1", 0);
        await().atMost(Duration.ofSeconds(20)).until(() -> online() == 10);
    }

    @AfterEach
    void stop() {
        explorer.close();
        kv.destroy();
    }

    private static String id(int i) {
        return String.format("host-%08d-0000-4000-8000-000000000000", i);
    }

    private static String recordKey(int i) {
        return "replica/" + DC + "/kv/manifest/hosts/" + id(i);
    }

    private static String serviceKey(int i) {
        return "replica/" + DC + "/services/" + id(i);
    }

    private void status(String state) {
        kv.keyValueClient().putValue("replicate/status/" + DC, "{\"state\":\"" + state + "\"}");
    }

    private long online() {
        return explorer.store().all().stream().filter(d -> d.status() == DeviceStatus.ONLINE).count();
    }

    private long offlineEvents() {
        long n = 0;
        for (int i = 0; i < 10; i++) {
            n += explorer.store().events(id(i), null, 100).stream().map(Event::type).filter(EventType.OFFLINE::equals).count();
        }
        return n;
    }

    @Test
    void aReplicaEmptiedAndRebuiltWithinTheConfirmDelayMakesNoOfflineStorm() {
        // The replica's services vanish at once (a rebuilt destination), and are back a second later.
        kv.keyValueClient().deleteKeys("replica/" + DC + "/services/");
        Instant emptied = Instant.now();
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        for (int i = 0; i < 10; i++) {
            kv.keyValueClient().putValue(serviceKey(i), "{\"status\":\"passing\"}");
        }
        await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(8)).until(() -> online() == 10 && offlineEvents() == 0);
        System.out.println("replica emptied and rebuilt " + Duration.between(emptied, Instant.now()).toMillis() + " ms ago: no OFFLINE");
    }

    @Test
    void aConfirmedMassLossGoesOfflineAfterTheReRead() {
        kv.keyValueClient().deleteKeys("replica/" + DC + "/services/");
        Instant emptied = Instant.now();
        await().atMost(Duration.ofSeconds(20)).until(() -> online() == 0);
        Duration took = Duration.between(emptied, Instant.now());
        assertThat(took).as("held for the confirm delay").isGreaterThanOrEqualTo(Duration.ofMillis(2500));
        assertThat(offlineEvents()).isEqualTo(10);
    }

    @Test
    void aDatacenterThatIsSyncingConcludesNoOfflineUntilItIsOk() {
        status("syncing");
        // A host really gone while replicate has not finished its first read: not concluded yet.
        kv.keyValueClient().deleteKey(serviceKey(0));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> online() == 10);
        status("ok");
        await().atMost(Duration.ofSeconds(10)).until(() -> online() == 9);
        assertThat(offlineEvents()).isEqualTo(1);
    }
}
