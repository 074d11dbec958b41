package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.choice.Rendezvous;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.node.NodeRecords;
import io.edgemanifest.testing.ConsulDatacenters;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.QueryOptions;

/**
 * A rolling redeploy of every gateway of a datacenter, as an operator does it: SIGTERM a gateway
 * process (it drains: NOT_SERVING, waits until no host names it, leaves, exits 0), start it again
 * from the same state dir, wait until it passes and the hosts settled, then the next one. Real
 * processes from the built jars, ACLs on, each gateway with the gateway role's token.
 *
 * <p>Presence is watched on the host records themselves with a blocking query: a host that lost
 * its presence for any instant (check critical, session gone) loses its key, and its record comes
 * back with a new CreateIndex — which no observation gap can hide. Gateway changes are counted
 * between consecutive observations (a host changes gateway only after Consul's 5 s gRPC probe
 * fails or passes one, far slower than the watch).
 */
class RollingRedeployIT {

    private static final String DC = "sg-roll";
    private static final int GATEWAYS = 3;
    private static final int HOSTS = 20;
    private static final Pattern DRAINED = Pattern.compile("drained in ([0-9.]+) s");

    @TempDir
    Path dir;

    private ConsulDatacenters dcs;
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final List<Consul> clients = new ArrayList<>();
    private volatile boolean watching = true;

    @AfterEach
    void stop() {
        watching = false;
        processes.forEach(Process::destroyForcibly);
        clients.forEach(Consul::destroy);
        if (dcs != null) {
            dcs.close();
        }
    }

    /** What the watch saw of one host: the key's CreateIndex, and every gateway its record named in turn. */
    private record Seen(long createIndex, List<String> gateways) {
    }

    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final List<String> presenceLost = new CopyOnWriteArrayList<>();

    private Process start(String module, String name, String... args) {
        Process p = RunnableJar.of(module).start(log(name), args);
        processes.add(p);
        return p;
    }

    private Path log(String name) {
        return dir.resolve("logs").resolve(name + ".log");
    }

    private static Path secret(Path file, String token) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private Consul client() {
        Consul c = Consul.builder().withUrl(dcs.get(DC).httpUrl()).withAclToken(dcs.get(DC).masterToken())
                .withReadTimeoutMillis(20_000).withPing(false).build();
        clients.add(c);
        return c;
    }

    /** Follows every change under manifest/hosts/ with a blocking query until the test ends. */
    private void watchHosts(Consul consul) {
        BigInteger index = BigInteger.ZERO;
        while (watching) {
            ConsulResponse<List<Value>> response;
            try {
                response = consul.keyValueClient().getConsulResponseWithValues("manifest/hosts/",
                        QueryOptions.blockSeconds(10, index).build());
            } catch (RuntimeException e) {
                if (watching) {
                    presenceLost.add("watch failed: " + e);
                }
                return;
            }
            index = response.getIndex();
            Map<String, Value> now = new HashMap<>();
            for (Value v : response.getResponse() == null ? List.<Value>of() : response.getResponse()) {
                now.put(v.getKey().substring("manifest/hosts/".length()), v);
            }
            for (Map.Entry<String, Seen> known : seen.entrySet()) {
                Value v = now.get(known.getKey());
                if (v == null) {
                    presenceLost.add(known.getKey() + " key vanished at index " + index);
                } else if (v.getCreateIndex() != known.getValue().createIndex()) {
                    presenceLost.add(known.getKey() + " key re-created at index " + v.getCreateIndex());
                }
            }
            now.forEach((id, v) -> {
                String gateway = v.getValueAsString().flatMap(NodeRecords::fromJson).map(NodeRecord::gateway).orElse(null);
                seen.compute(id, (k, s) -> {
                    if (s == null) {
                        List<String> gateways = new CopyOnWriteArrayList<>();
                        gateways.add(String.valueOf(gateway));
                        return new Seen(v.getCreateIndex(), gateways);
                    }
                    if (!s.gateways().getLast().equals(String.valueOf(gateway))) {
                        s.gateways().add(String.valueOf(gateway));
                    }
                    return s;
                });
            });
        }
    }

    private String gatewayOf(String hostId) {
        Seen s = seen.get(hostId);
        return s == null ? null : s.gateways().getLast();
    }

    private boolean settled(List<String> gatewayIds) {
        return seen.size() == HOSTS && seen.keySet().stream().allMatch(h ->
                Rendezvous.choose(h, gatewayIds).orElseThrow().equals(gatewayOf(h)));
    }

    private int passingGateways(Consul consul) {
        return consul.healthClient().getHealthyServiceInstances("gateway").getResponse().size();
    }

    @Test
    void rollingRestartOfEveryGatewayLosesNoHostAndMovesEachHostAtMostTwice() throws Exception {
        Instant began = Instant.now();
        dcs = ConsulDatacenters.startWithAcls(DC);
        for (AclPolicies.PolicySpec policy : AclPolicies.roles(DC)) {
            dcs.get(DC).createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
        String url = dcs.get(DC).httpUrl();
        Path gatewayToken = secret(dir.resolve("secrets/gateway.token"),
                dcs.get(DC).createToken(AclPolicies.policyNames(AclPolicies.Role.GATEWAY)));
        // One token for the virtual hosts of one JVM (per-host isolation is HostIsolationIT's subject).
        Path hostsToken = secret(dir.resolve("secrets/hosts.token"), dcs.get(DC).createToken("test-hosts", """
                service_prefix "host-" { policy = "write" }
                service "gateway" { policy = "read" }
                node_prefix "" { policy = "read" }
                session_prefix "" { policy = "write" }
                key_prefix "manifest/hosts/" { policy = "write" }
                """));

        List<String> gatewayIds = new ArrayList<>();
        Map<String, Integer> ports = new LinkedHashMap<>();
        Map<String, Process> gateways = new LinkedHashMap<>();
        for (int i = 0; i < GATEWAYS; i++) {
            String id = "gateway-" + java.util.UUID.randomUUID();
            Path state = Files.createDirectories(dir.resolve("gw-" + i));
            Files.writeString(state.resolve("node-id"), id + "\n");
            gatewayIds.add(id);
            ports.put(id, FreePorts.next());
            gateways.put(id, startGateway(id, i, url, ports.get(id), gatewayToken, 0));
        }
        start("host-agent", "hosts", "--consul", url, "--state-dir", dir.resolve("hosts").toString(),
                "--simulate", Integer.toString(HOSTS), "--ttl", "3s", "--token-file", hostsToken.toString());
        Consul consul = client();
        Thread watch = Thread.ofPlatform().daemon().name("hosts-watch").start(() -> watchHosts(client()));

        await().atMost(Duration.ofSeconds(40)).until(() -> passingGateways(consul) == GATEWAYS && settled(gatewayIds));
        // From here on, every change counts.
        seen.replaceAll((id, s) -> new Seen(s.createIndex(), new CopyOnWriteArrayList<>(List.of(s.gateways().getLast()))));
        Instant rollBegan = Instant.now();
        System.out.printf("rolling redeploy: %d gateways, %d hosts settled after %d ms of setup%n", GATEWAYS, HOSTS,
                Duration.between(began, rollBegan).toMillis());

        for (int i = 0; i < GATEWAYS; i++) {
            String id = gatewayIds.get(i);
            List<String> attachedHosts = seen.keySet().stream().filter(h -> id.equals(gatewayOf(h))).toList();
            long attached = attachedHosts.size();
            Process old = gateways.get(id);
            Instant signalled = Instant.now();
            old.destroy(); // SIGTERM, as systemctl stop
            assertThat(old.waitFor(30, TimeUnit.SECONDS)).as("%s exits after its drain", id).isTrue();
            Duration stopped = Duration.between(signalled, Instant.now());
            assertThat(old.exitValue()).isZero();
            assertThat(seen.keySet()).as("no host names %s once it left", id).noneMatch(h -> id.equals(gatewayOf(h)));
            // Its hosts moved before it left: each one's last write (naming another gateway) precedes the
            // gateway service's last catalog change, the deregistration — Consul's own order.
            await().atMost(Duration.ofSeconds(5)).until(() -> consul.catalogClient().getService("gateway").getResponse()
                    .stream().noneMatch(sv -> id.equals(sv.getServiceId()))); // the agent syncs it to the catalog
            BigInteger left = consul.catalogClient().getService("gateway").getIndex();
            for (String h : attachedHosts) {
                long moved = consul.keyValueClient().getValue(NodeKind.HOST.keyOf(h)).orElseThrow().getModifyIndex();
                assertThat(BigInteger.valueOf(moved)).as("%s moved off %s before it deregistered", h, id).isLessThan(left);
            }
            String drainLine = Files.readAllLines(log("gateway-" + i + "-run0")).stream()
                    .filter(l -> l.contains(id + ": drained in")).findFirst().orElse("");
            Matcher drained = DRAINED.matcher(drainLine);
            assertThat(drained.find()).as("%s drained (not timed out): %s", id, drainLine).isTrue();
            // Going NOT_SERVING on purpose is not a lost session: the presence's "is gone" warning is
            // where edge_presence_sessions_lost_total counts, and EdgeSessionsLost must not fire per redeploy.
            assertThat(Files.readAllLines(log("gateway-" + i + "-run0")))
                    .as("%s counted no lost session while draining", id).noneMatch(l -> l.contains("is gone"));

            Instant restarted = Instant.now();
            gateways.put(id, startGateway(id, i, url, ports.get(id), gatewayToken, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> passingGateways(consul) == GATEWAYS && settled(gatewayIds));
            System.out.printf("rolling redeploy: %s drained %d hosts in %s s (SIGTERM to exit %d ms), back and settled %d ms later%n",
                    id, attached, drained.group(1), stopped.toMillis(), Duration.between(restarted, Instant.now()).toMillis());
        }
        Duration roll = Duration.between(rollBegan, Instant.now());
        watching = false;

        assertThat(presenceLost).as("hosts that lost presence during the roll").isEmpty();
        Map<String, Integer> changes = new HashMap<>();
        seen.forEach((h, s) -> changes.put(h, s.gateways().size() - 1));
        assertThat(changes).hasSize(HOSTS);
        assertThat(changes.values()).as("gateway changes per host").allMatch(n -> n <= 2);
        // Each host left its own gateway once and came back: the roll really moved them.
        assertThat(changes.values()).allMatch(n -> n == 2);
        System.out.printf("rolling redeploy: %d gateways in %d ms, %d host moves, no presence lost%n", GATEWAYS,
                roll.toMillis(), changes.values().stream().mapToInt(Integer::intValue).sum());
        watch.join(Duration.ofSeconds(15).toMillis());

        // A second SIGTERM cuts a drain short: a host record that never moves holds the first gateway's drain.
        String first = gatewayIds.get(0);
        String stuck = "host-00000000-0000-4000-8000-000000000001";
        consul.keyValueClient().putValue(NodeKind.HOST.keyOf(stuck),
                NodeRecords.toJson(NodeRecord.of(stuck, NodeKind.HOST, "test").withGateway(first)));
        Process draining = gateways.get(first);
        draining.destroy();
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.readString(log("gateway-0-run1"))
                .contains(first + ": draining, 1 hosts still attached"));
        Instant second = Instant.now();
        draining.destroy();
        assertThat(draining.waitFor(5, TimeUnit.SECONDS)).as("a second SIGTERM stops at once").isTrue();
        assertThat(draining.exitValue()).isZero();
        assertThat(consul.agentClient().getServices()).doesNotContainKey(first);
        System.out.printf("rolling redeploy: second SIGTERM during a drain -> exit 0 after %d ms%n",
                Duration.between(second, Instant.now()).toMillis());
    }

    private Process startGateway(String id, int i, String url, int port, Path token, int run) {
        return start("gateway", "gateway-" + i + "-run" + run, "--consul", url, "--state-dir", dir.resolve("gw-" + i).toString(),
                "--grpc-port", Integer.toString(port), "--token-file", token.toString(), "--drain-timeout", "30s");
    }
}
