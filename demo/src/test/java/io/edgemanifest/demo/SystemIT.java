package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.testing.ConsulDatacenters;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;

/**
 * The parts working together as separate processes, launched from the built jars: hosts,
 * replicate and the Network Explorer over two Stargate datacenters and the Explorer's — with ACLs
 * on (default deny) and every process holding a token of its own, as production runs.
 */
class SystemIT {

    private static final Duration TTL = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    private ConsulDatacenters dcs;
    private final List<Process> processes = new ArrayList<>();
    private final List<Consul> clients = new ArrayList<>();
    private int explorerPort;

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
        clients.forEach(Consul::destroy);
        if (dcs != null) {
            dcs.close();
        }
    }

    private Process start(String module, String name, String... args) {
        Process p = RunnableJar.of(module).start(Path.of("target", "system-logs", name + "-" + Instant.now().toEpochMilli() + ".log"), args);
        processes.add(p);
        return p;
    }

    /**
     * A host with its own ID and token in its state dir, as enrolment leaves them (enrolment itself:
     * EnrolmentIT and HostEnrolmentProcessIT).
     */
    private Process host(String name, String... urls) throws Exception {
        Path state = Files.createDirectories(dir.resolve(name));
        String id = "host-" + java.util.UUID.randomUUID();
        Files.writeString(state.resolve("node-id"), id + "\n");
        AclPolicies.PolicySpec policy = AclPolicies.host(id, List.of("sg-one", "sg-two"));
        secret(state.resolve("consul-token"), dcs.get("explorer").createToken(policy.name(), policy.rules(), policy.datacenters()));
        return start("host-agent", name, "--consul", String.join(",", urls), "--state-dir", state.toString(),
                "--ttl", "3s", "--migrate-after", "4s");
    }

    private static Path secret(Path file, String token) throws Exception {
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private Path roleToken(AclPolicies.Role role) throws Exception {
        return secret(dir.resolve(role.cliName() + ".token"), dcs.get("explorer").createToken(AclPolicies.policyNames(role)));
    }

    private Process explorer() throws Exception {
        return start("network-explorer", "explorer", "--consul", dcs.get("explorer").httpUrl(), "--port",
                Integer.toString(explorerPort), "--data-dir", dir.resolve("explorer").toString(),
                "--token-file", roleToken(AclPolicies.Role.EXPLORER).toString());
    }

    private Consul client(String dc) {
        Consul c = Consul.builder().withUrl(dcs.get(dc).httpUrl()).withAclToken(dcs.get(dc).masterToken())
                .withPing(false).build();
        clients.add(c);
        return c;
    }

    private String id(String name) throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve(name).resolve("node-id")));
        return Files.readString(dir.resolve(name).resolve("node-id")).strip();
    }

    private String api(String path) {
        try {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + explorerPort + path)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? r.body() : "";
        } catch (Exception e) {
            return "";
        }
    }

    private String status(String id) {
        return api("/api/nodes/" + id).replaceAll("(?s).*?\"status\":\"([a-z]+)\".*", "$1");
    }

    private List<String> events(String id) {
        String body = api("/api/nodes/" + id + "/events");
        List<String> types = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("\"type\":\"([A-Z]+)\"").matcher(body);
        while (m.find()) {
            types.add(0, m.group(1)); // newest first in the API
        }
        return types;
    }

    @Test
    void hostsComeGoMigrateAndSurviveOutagesAcrossRealProcesses() throws Exception {
        dcs = ConsulDatacenters.startWithAcls("explorer", "sg-one", "sg-two");
        for (AclPolicies.PolicySpec policy : AclPolicies.roles("explorer")) {
            dcs.get("explorer").createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
        explorerPort = FreePorts.next();
        Consul one = client("sg-one");
        Consul two = client("sg-two");
        Consul replica = client("explorer");
        Process a = host("host-a", dcs.get("sg-one").httpUrl());
        host("host-m", dcs.get("sg-one").httpUrl(), dcs.get("sg-two").httpUrl());
        host("host-b", dcs.get("sg-two").httpUrl());
        start("replicate", "replicate", "--consul", dcs.get("explorer").httpUrl(), "--ttl", "3s", "--wait", "5s",
                "--confirm-delay", "1s", "--metrics", "127.0.0.1:0",
                "--token-file", roleToken(AclPolicies.Role.REPLICATE).toString(),
                "--source", "sg-one=" + dcs.get("sg-one").httpUrl(), "--source", "sg-two=" + dcs.get("sg-two").httpUrl());
        Process explorer = explorer();
        String idA = id("host-a");
        String idM = id("host-m");
        String idB = id("host-b");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
                status(idA).equals("online") && status(idM).equals("online") && status(idB).equals("online"));

        // kill -9 of a host: offline in the Explorer within TTL + 3 s, its key gone at the source and in the replica.
        a.destroyForcibly();
        a.waitFor(10, TimeUnit.SECONDS);
        Instant killed = Instant.now();
        await().atMost(TTL.plusSeconds(3)).pollInterval(Duration.ofMillis(100)).until(() -> status(idA).equals("offline"));
        assertThat(one.keyValueClient().getValue(NodeKind.HOST.keyOf(idA))).isEmpty();
        assertThat(replica.keyValueClient().getValue("replica/sg-one/kv/" + NodeKind.HOST.keyOf(idA))).isEmpty();
        assertThat(events(idA)).containsExactly("ONLINE", "OFFLINE");
        System.out.println("host killed -> offline in the Explorer after " + Duration.between(killed, Instant.now()).toMillis() + " ms");

        // Migration: sg-one hangs, the host moves to sg-two; when sg-one returns, nothing of it is left there.
        dcs.get("sg-one").freeze();
        try {
            await().atMost(Duration.ofSeconds(40)).until(() -> events(idM).contains("MIGRATED"));
        } finally {
            dcs.get("sg-one").thaw();
        }
        assertThat(api("/api/nodes/" + idM)).contains("\"datacenter\":\"sg-two\"");
        await().atMost(TTL.plusSeconds(10)).until(() -> one.keyValueClient().getValue(NodeKind.HOST.keyOf(idM)).isEmpty());
        assertThat(two.keyValueClient().getValue(NodeKind.HOST.keyOf(idM))).isPresent();

        // A Stargate datacenter's Consul stops: its devices are unknown, not offline; back: online.
        dcs.get("sg-two").stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> status(idB).equals("unknown"));
        assertThat(events(idB)).doesNotContain("OFFLINE");
        dcs.get("sg-two").start();
        await().atMost(Duration.ofSeconds(40)).until(() -> status(idB).equals("online") && status(idM).equals("online"));

        // The Explorer killed and restarted: history intact, no duplicate events.
        List<String> before = events(idB);
        explorer.destroyForcibly();
        explorer.waitFor(10, TimeUnit.SECONDS);
        explorer();
        await().atMost(Duration.ofSeconds(60)).until(() -> status(idB).equals("online"));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(6)).until(() -> events(idB).equals(before));
        assertThat(events(idA)).containsExactly("ONLINE", "OFFLINE");
    }
}
