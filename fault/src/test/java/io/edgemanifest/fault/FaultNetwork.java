package io.edgemanifest.fault;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulCluster;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge network as production shapes it, every node a real process from its jar: a Stargate
 * datacenter {@code sg-a} of 3 Consul servers and 3 client agents (a {@link ConsulCluster}), with a
 * stargate and a gateway on client agent 3 and {@value #HOSTS} virtual hosts ({@code host-agent
 * --simulate}) spread over client agents 1 and 2 by rendezvous hashing; the Explorer's datacenter
 * (a single server, the ACL primary) with replicate reading {@code sg-a} through WAN federation and
 * the Network Explorer. ACLs on everywhere (default deny), every process with its own token.
 */
final class FaultNetwork implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FaultNetwork.class);

    static final String SOURCE = "sg-a";
    static final String EXPLORER_DC = "explorer";
    static final int HOSTS = 12;
    /**
     * The hosts' TTL: short, so detection fits the suite's time budget; the product default is 15 s.
     * 5 s, not 3 s: on this shared 2-core machine a host's heartbeats were 3.3–3.6 s apart during an
     * election (its presence steps retrying), and a 3 s TTL turned that into a lost session.
     */
    static final Duration TTL = Duration.ofSeconds(5);
    /**
     * How long a host waits on an unreachable agent before it moves to the next (host-agent
     * --migrate-after): 2 × TTL, the ratio of the product's defaults (15 s TTL, 30 s).
     */
    static final Duration MIGRATE_AFTER = Duration.ofSeconds(10);
    private static final List<String> JVM = List.of("-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx128m");

    final Path dir;
    final Path logs;
    final ConsulAgent explorerConsul;
    final ConsulCluster source;
    final int explorerPort = FreePorts.next();
    final Http http = new Http();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, Path> tokens = new LinkedHashMap<>();
    private String stargateId;
    private String gatewayId;
    private final List<String> hostIds = new ArrayList<>();
    private int victims;

    private final Acls acls;
    private final AtomicBoolean isolated;

    private FaultNetwork(Path dir, ConsulAgent explorerConsul, ConsulCluster source, Acls acls, AtomicBoolean isolated) {
        this.acls = acls;
        this.isolated = isolated;
        this.dir = dir;
        this.logs = Paths.get("target", "fault-logs").toAbsolutePath();
        this.explorerConsul = explorerConsul;
        this.source = source;
    }

    static FaultNetwork start() {
        ConsulAgent explorer = null;
        ConsulCluster cluster = null;
        FaultNetwork network = null;
        try {
            Path dir = Files.createTempDirectory("edge-fault-");
            explorer = ConsulAgent.createWithAcls(EXPLORER_DC).withLogLevel("info").start();
            Acls acls = new Acls(explorer);
            for (AclPolicies.PolicySpec policy : AclPolicies.roles(EXPLORER_DC)) {
                acls.policy(policy);
            }
            // While the Explorer's Consul is isolated (restarted, its ACLs being restored) it must not
            // rejoin the WAN: the source would replicate its empty ACL system and drop every token.
            AtomicBoolean isolated = new AtomicBoolean();
            ConsulCluster[] holder = new ConsulCluster[1];
            explorer.alsoWanJoin(() -> isolated.get() || holder[0] == null ? List.of() : holder[0].serverWanAddresses());
            cluster = ConsulCluster.startWithPrimary(SOURCE, 3, explorer);
            holder[0] = cluster;
            network = new FaultNetwork(dir, explorer, cluster, acls, isolated);
            network.startNodes();
            return network;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            if (network != null) {
                network.close();
            } else {
                if (cluster != null) {
                    cluster.close();
                }
                if (explorer != null) {
                    explorer.close();
                }
            }
            throw e;
        }
    }

    private void startNodes() throws IOException {
        // The stargate and the gateway on an agent of their own (client 3): the agent faults hit hosts.
        ConsulCluster.Member agent1 = source.client(3);
        Path stargateState = dir.resolve("stargate");
        stargateId = preset(stargateState, NodeKind.STARGATE);
        start("stargate", "stargate", "--consul", agent1.httpUrl(), "--datacenter", SOURCE, "--state-dir", stargateState.toString(),
                "--grpc-port", Integer.toString(FreePorts.next()), "--enrol-port", Integer.toString(FreePorts.next()),
                "--primary-datacenter", EXPLORER_DC, "--token-file", roleToken(AclPolicies.Role.STARGATE).toString());
        Path gatewayState = dir.resolve("gateway");
        gatewayId = preset(gatewayState, NodeKind.GATEWAY);
        start("gateway", "gateway", "--consul", agent1.httpUrl(), "--state-dir", gatewayState.toString(),
                "--grpc-port", Integer.toString(FreePorts.next()), "--token-file", roleToken(AclPolicies.Role.GATEWAY).toString());
        Path hostsState = dir.resolve("hosts");
        String lastToken = null;
        for (int i = 0; i < HOSTS; i++) {
            Path state = hostsState.resolve("sim-" + i);
            String id = preset(state, NodeKind.HOST);
            hostIds.add(id);
            lastToken = hostToken(id, state);
        }
        awaitTokenUsable(lastToken);
        // Both client agents of the datacenter: each host takes one by rendezvous hashing, the other is its fallback.
        start("hosts", "host-agent", "--consul", hostAgents().get(0).httpUrl() + "|" + hostAgents().get(1).httpUrl(), "--state-dir", hostsState.toString(),
                "--simulate", Integer.toString(HOSTS), "--ttl", seconds(TTL), "--migrate-after", seconds(MIGRATE_AFTER));
        start("replicate", "replicate", "--consul", explorerConsul.httpUrl(), "--source", SOURCE, "--ttl", "3s", "--wait", "5s",
                "--metrics", "127.0.0.1:0", "--token-file", roleToken(AclPolicies.Role.REPLICATE).toString());
        startExplorer();
    }

    void startExplorer() {
        start("explorer", "network-explorer", "--consul", explorerConsul.httpUrl(), "--port", Integer.toString(explorerPort),
                "--data-dir", dir.resolve("explorer-data").toString(), "--token-file", roleToken(AclPolicies.Role.EXPLORER).toString());
    }

    /**
     * Starts one more single host as its own process (on client agent 1, no fallback), for a
     * scenario to kill with -9 during its fault: the Explorer must still see it go OFFLINE.
     */
    Victim startVictim() {
        String name = "victim-" + (++victims);
        Path state = dir.resolve(name);
        String id = preset(state, NodeKind.HOST);
        awaitTokenUsable(hostToken(id, state));
        Process process = start(name, "host-agent", "--consul", source.client(3).httpUrl(), "--state-dir", state.toString(),
                "--ttl", seconds(TTL));
        return new Victim(id, process);
    }

    record Victim(String id, Process process) {
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String seconds(Duration d) {
        return d.toSeconds() + "s";
    }

    private String hostToken(String id, Path state) {
        AclPolicies.PolicySpec policy = AclPolicies.host(id, List.of(SOURCE));
        acls.policy(policy);
        String token = acls.token(List.of(policy.name()));
        secret(state.resolve("consul-token"), token);
        return token;
    }

    /** The two client agents the virtual hosts spread over (rendezvous hashing), each the other's fallback. */
    List<ConsulCluster.Member> hostAgents() {
        return List.of(source.client(1), source.client(2));
    }

    /** Tokens are created in the primary and replicated: wait until the source's agents resolve this one. */
    void awaitTokenUsable(String token) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (http.get(source.client(3).httpUrl() + "/v1/acl/token/self", token).isEmpty()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("a token created in " + EXPLORER_DC + " is not usable in " + SOURCE + " after 30 s");
            }
            pause(Duration.ofMillis(100));
        }
    }

    /** The node's ID written into its state dir before it starts, as enrolment or an operator leaves it. */
    private static String preset(Path state, NodeKind kind) {
        try {
            Files.createDirectories(state);
            String id = kind.name().toLowerCase(java.util.Locale.ROOT) + "-" + UUID.randomUUID();
            Files.writeString(state.resolve("node-id"), id + "\n");
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path roleToken(AclPolicies.Role role) {
        return tokens.computeIfAbsent(role.cliName(), r -> {
            String token = acls.token(AclPolicies.policyNames(role));
            return secret(dir.resolve("secrets").resolve(r + ".token"), token);
        });
    }

    private static Path secret(Path file, String token) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, token + "\n");
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Process start(String name, String module, String... args) {
        Path log = logs.resolve(name + "-" + Instant.now().toEpochMilli() + ".log");
        Process process = RunnableJar.of(module).start(log, JVM, args);
        processes.put(name, process);
        FaultNetwork.log.info("started {} (pid {}), log {}", name, process.pid(), log);
        return process;
    }

    /**
     * The ACL system as the harness created it, replayable: policies by name, tokens with their
     * accessor and secret IDs (Consul 1.8 accepts both on create), so the Explorer's Consul (the ACL
     * primary) restarted empty gets back exactly the tokens every process holds — what an operator
     * restoring the primary's ACLs from a backup does. Without it, a primary that lost its state
     * takes every token of the network with it (the secondaries replicate the deletion).
     */
    static final class Acls {
        private final ConsulAgent primary;
        private final Map<String, AclPolicies.PolicySpec> policies = new LinkedHashMap<>();
        private final List<String> tokens = new ArrayList<>();

        Acls(ConsulAgent primary) {
            this.primary = primary;
        }

        synchronized void policy(AclPolicies.PolicySpec spec) {
            primary.createPolicy(spec.name(), spec.rules(), spec.datacenters());
            policies.put(spec.name(), spec);
        }

        synchronized String token(List<String> policyNames) {
            String secret = UUID.randomUUID().toString();
            String body = "{\"AccessorID\": \"" + UUID.randomUUID() + "\", \"SecretID\": \"" + secret + "\", \"Description\": \"fault "
                    + String.join(",", policyNames) + "\", \"Policies\": ["
                    + String.join(", ", policyNames.stream().map(n -> "{\"Name\": \"" + n + "\"}").toList()) + "]}";
            put(body);
            tokens.add(body);
            return secret;
        }

        private void put(String body) {
            primary.put("/v1/acl/token", body).orElseThrow(() -> new IllegalStateException("cannot create a token: " + body.replaceAll("\"SecretID\": \"[^\"]+\"", "")));
        }

        /** Creates every policy and token again in a primary that forgot them. */
        synchronized void restore() {
            policies.values().forEach(p -> primary.createPolicy(p.name(), p.rules(), p.datacenters()));
            tokens.forEach(this::put);
        }
    }

    /**
     * Kills the Explorer's Consul (a single dev server: all its state in memory) and starts it
     * empty; restores the ACL system (policies and tokens with their IDs) before it rejoins the WAN.
     * Returns once it is back in the WAN with the source.
     */
    void restartExplorerConsulEmpty() {
        isolated.set(true);
        try {
            explorerConsul.kill();
            explorerConsul.start();
            acls.restore();
        } finally {
            isolated.set(false);
        }
        explorerConsul.put("/v1/agent/join/" + source.server(1).serfWanAddress() + "?wan=1", "")
                .orElseThrow(() -> new IllegalStateException("the Explorer's Consul could not WAN-join " + SOURCE));
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!explorerConsul.datacenters().contains("\"" + SOURCE + "\"")) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("the Explorer's Consul does not see " + SOURCE + " after 30 s");
            }
            pause(Duration.ofMillis(100));
        }
    }

    Process process(String name) {
        return processes.get(name);
    }

    /** Kills the Explorer with -9 and returns once it is gone. */
    void killExplorer() {
        Process p = processes.get("explorer");
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String stargateId() {
        return stargateId;
    }

    String gatewayId() {
        return gatewayId;
    }

    List<String> hostIds() {
        return List.copyOf(hostIds);
    }

    /** Every node that must stay present through every fault: stargate, gateway, the virtual hosts. */
    List<String> liveNodes() {
        List<String> all = new ArrayList<>(List.of(stargateId, gatewayId));
        all.addAll(hostIds);
        return all;
    }

    static String keyOf(String id) {
        String kind = id.substring(0, id.indexOf('-'));
        return NodeKind.valueOf(kind.toUpperCase(java.util.Locale.ROOT)).keyOf(id);
    }

    String explorerApi() {
        return "http://127.0.0.1:" + explorerPort;
    }

    static void pause(Duration d) {
        try {
            // Polling processes that offer no push notification.
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        // Nodes first (a SIGTERM lets them leave), then Consul, then the files.
        processes.values().forEach(Process::destroy);
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
        if (source != null) {
            source.close();
        }
        explorerConsul.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            log.debug("cannot delete {}", dir, e);
        }
    }
}
