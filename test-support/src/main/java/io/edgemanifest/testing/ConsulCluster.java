package io.edgemanifest.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A production-shaped Consul datacenter: three servers running real Raft ({@code -server
 * -bootstrap-expect=3}, persistent data directories) and client agents joined to them over Serf
 * LAN, all on free loopback ports, as child processes under the same no-orphan guard as
 * {@link ConsulAgent}. A secondary of a primary's ACL system (default deny, the primary's
 * management token as agent and replication token) and WAN-joined to it when started with one.
 *
 * <p>Faults: {@link #kill} (SIGKILL), {@link #stop} (SIGTERM, no leave), {@link #start(Member)} on the
 * same ports and data, {@link #restart}, {@link #restartEmpty(Member)} (data wiped), {@link #restartServersEmpty()}
 * and {@link #restartEmpty()} (the whole datacenter forgets everything), {@link #freeze}/{@link #thaw}
 * (SIGSTOP/SIGCONT). Every member keeps its node ID across restarts (a wiped member gets it back
 * from its config, not from its data directory), so its peers see the same node come back rather
 * than a conflicting one. Raft runs at {@code raft_multiplier 1}: a new leader in ~1–3 s.
 */
public final class ConsulCluster implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsulCluster.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A client agent that kept running while its servers came back empty is back in their catalog
     * by its next full anti-entropy sync: Consul 1.8 runs one every ae_interval (1m, not settable)
     * plus up to another minute of stagger, sooner only if it notices a server join. 60 s was seen
     * to fall short on a clean clone (ReplicateClusterIT); replicate's --resync-hold is 130 s for
     * the same reason.
     */
    private static final Duration RESYNC_TIMEOUT = Duration.ofSeconds(130);
    private static final int SERVERS = 3;
    private static final Set<ConsulCluster> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ConsulCluster::close), "consul-cluster-reaper"));
    }

    public enum Role { SERVER, CLIENT }

    /** Ports a member listens on, all on 127.0.0.1 (a client has no Serf WAN). */
    public record Ports(int http, int serfLan, int serfWan, int server) {
    }

    /** One Consul agent of the cluster: a server or a client. */
    public final class Member {
        private final String name;
        private final Role role;
        private final Ports ports;
        private final String nodeId = UUID.randomUUID().toString();
        private final Path dataDir;
        private final Path logFile;
        private Process guard;
        private long pid = -1;

        private Member(String name, Role role) {
            this.name = name;
            this.role = role;
            this.ports = new Ports(FreePorts.next(), FreePorts.next(), role == Role.SERVER ? FreePorts.next() : -1, FreePorts.next());
            this.dataDir = root.resolve(name).resolve("data");
            this.logFile = logDir.resolve(datacenter + "-" + name + "-" + Instant.now().toEpochMilli() + ".log");
        }

        /** The Consul node name, e.g. {@code sg-a-server-1}, {@code sg-a-client-2}. */
        public String name() {
            return name;
        }

        public Role role() {
            return role;
        }

        public Ports ports() {
            return ports;
        }

        /** Base URL of this agent's HTTP API. */
        public String httpUrl() {
            return "http://127.0.0.1:" + ports.http();
        }

        public String serfLanAddress() {
            return "127.0.0.1:" + ports.serfLan();
        }

        /** Serf WAN address (servers only). */
        public String serfWanAddress() {
            return "127.0.0.1:" + ports.serfWan();
        }

        /** Server RPC address, as {@code /v1/status/leader} names the leader. */
        public String serverAddress() {
            return "127.0.0.1:" + ports.server();
        }

        public Path dataDir() {
            return dataDir;
        }

        public Path logFile() {
            return logFile;
        }

        /** The consul process's pid, or -1 when it is not running. */
        public synchronized long pid() {
            return pid;
        }

        public synchronized boolean isRunning() {
            return guard != null && guard.isAlive();
        }

        /** GET on this member's HTTP API with the management token; empty unless 200. */
        public Optional<String> get(String path) {
            return request("GET", path, null);
        }

        /** Any request on this member's HTTP API with the management token; empty unless 200. */
        public Optional<String> request(String method, String path, String body) {
            return send(httpUrl(), method, path, body, Duration.ofSeconds(5));
        }

        @Override
        public String toString() {
            return name + "@" + ports.http();
        }
    }

    private final String datacenter;
    private final Path binary;
    private final Path logDir;
    private final Path root;
    private final ConsulAgent.Acl acl;
    private final Supplier<List<String>> wanPeers;
    /** Client agents carry node meta {@code edge-host-url} = their HTTP URL: they take hosts (host-agent's discovery). */
    private boolean advertiseHostUrl;
    private final List<Member> servers = new ArrayList<>();
    private final List<Member> clients = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ConsulCluster(String datacenter, int clientCount, ConsulAgent.Acl acl, Supplier<List<String>> wanPeers) {
        if (datacenter == null || !datacenter.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("datacenter name must be lower-case letters, digits and '-': " + datacenter);
        }
        if (clientCount < 0 || clientCount > 16) {
            throw new IllegalArgumentException("client agents must be 0 to 16, was " + clientCount);
        }
        this.datacenter = datacenter;
        this.binary = ConsulBinary.locate();
        this.logDir = ConsulAgent.defaultLogDir().toAbsolutePath();
        this.acl = acl;
        this.wanPeers = wanPeers;
        try {
            this.root = Files.createTempDirectory("edge-consul-cluster-" + datacenter + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 1; i <= SERVERS; i++) {
            servers.add(new Member(datacenter + "-server-" + i, Role.SERVER));
        }
        for (int i = 1; i <= clientCount; i++) {
            clients.add(new Member(datacenter + "-client-" + i, Role.CLIENT));
        }
    }

    /** A stand-alone datacenter (no ACLs, no WAN) of 3 servers and {@code clients} client agents. */
    public static ConsulCluster start(String datacenter, int clients) {
        return new ConsulCluster(datacenter, clients, null, List::of).startAll();
    }

    /**
     * As {@link #start}, with every client agent advertising its HTTP URL to hosts (node meta
     * {@code edge-host-url}), as a Stargate datacenter's host agents do.
     */
    public static ConsulCluster startAdvertisingHostUrls(String datacenter, int clients) {
        ConsulCluster cluster = new ConsulCluster(datacenter, clients, null, List::of);
        cluster.advertiseHostUrl = true;
        return cluster.startAll();
    }

    /**
     * A datacenter of 3 servers and {@code clients} client agents, WAN-joined to {@code primary}
     * (which also rejoins it by itself after a restart) and, when the primary runs ACLs, a
     * secondary of its ACL system replicating its tokens — as a Stargate datacenter runs beside the
     * Explorer's.
     */
    public static ConsulCluster startWithPrimary(String datacenter, int clients, ConsulAgent primary) {
        ConsulCluster cluster = new ConsulCluster(datacenter, clients, primary.acl(), () -> List.of(primary.serfWanAddress()));
        primary.alsoWanJoin(cluster::serverWanAddresses);
        cluster.startAll();
        // The primary learns of us through our join; wait until both sides list each other.
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        while (!primary.datacenters().contains("\"" + datacenter + "\"")) {
            if (Instant.now().isAfter(deadline)) {
                cluster.close();
                throw new IllegalStateException("datacenter " + datacenter + " not seen over WAN by " + primary.datacenter());
            }
            ConsulAgent.pause(Duration.ofMillis(100));
        }
        return cluster;
    }

    private ConsulCluster startAll() {
        LIVE.add(this);
        try {
            // bootstrap_expect: no server elects before all three are up, so they start together.
            servers.forEach(this::launch);
            servers.forEach(this::awaitReady);
            clients.forEach(this::launch);
            clients.forEach(this::awaitReady);
            log.info("consul datacenter {} up: servers {}, clients {}, leader {}", datacenter, servers, clients, leader());
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public String datacenter() {
        return datacenter;
    }

    public List<Member> servers() {
        return List.copyOf(servers);
    }

    public List<Member> clients() {
        return List.copyOf(clients);
    }

    public Member server(int oneBased) {
        return servers.get(oneBased - 1);
    }

    public Member client(int oneBased) {
        return clients.get(oneBased - 1);
    }

    /** The management token (the primary's), or null without ACLs. */
    public String masterToken() {
        return acl == null ? null : acl.masterToken();
    }

    /** Serf WAN addresses of the servers, for other datacenters to join. */
    public List<String> serverWanAddresses() {
        return servers.stream().map(Member::serfWanAddress).toList();
    }

    /** The HTTP URLs of the client agents, joined by '|' as host-agent's {@code --consul} takes one datacenter's agents. */
    public String clientUrls() {
        return clients.stream().map(Member::httpUrl).collect(Collectors.joining("|"));
    }

    /** The current Raft leader, waiting up to 30 s for one (an election in progress). */
    public Member leader() {
        return awaitLeader(Duration.ofSeconds(30), null);
    }

    /** Waits for a leader other than {@code previous} (an election after its death) and returns it. */
    public Member awaitNewLeader(Member previous) {
        return awaitLeader(Duration.ofSeconds(30), previous);
    }

    /** The leader as a running server sees it now, if any: no waiting. */
    public Optional<Member> currentLeader() {
        for (Member server : servers) {
            if (!server.isRunning()) {
                continue;
            }
            Optional<String> answer = send(server.httpUrl(), "GET", "/v1/status/leader", null, Duration.ofSeconds(1));
            if (answer.isPresent()) {
                String address = answer.get().replace("\"", "").strip();
                Optional<Member> leader = servers.stream().filter(s -> s.serverAddress().equals(address)).findFirst();
                if (leader.isPresent() && leader.get().isRunning()) {
                    return leader;
                }
            }
        }
        return Optional.empty();
    }

    private Member awaitLeader(Duration timeout, Member notThis) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<Member> leader = currentLeader().filter(l -> l != notThis);
            if (leader.isPresent()) {
                return leader.get();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("datacenter " + datacenter + " has no leader" + (notThis == null ? "" : " other than " + notThis)
                        + " after " + timeout.toSeconds() + " s");
            }
            ConsulAgent.pause(Duration.ofMillis(50));
        }
    }

    /** GET through any running server, with the management token; empty unless 200. */
    public Optional<String> get(String path) {
        for (Member server : servers) {
            if (server.isRunning()) {
                Optional<String> answer = server.get(path);
                if (answer.isPresent()) {
                    return answer;
                }
            }
        }
        return Optional.empty();
    }

    /** Kills a member with SIGKILL, as a power cut would; its data directory stays. */
    public void kill(Member member) {
        terminate(member, true);
    }

    /** Stops a member with SIGTERM; it does not leave the cluster (leave_on_terminate is off). */
    public void stop(Member member) {
        terminate(member, false);
    }

    /**
     * Starts stopped members on their ports with their data, all at once (servers that lost their
     * quorum elect only when enough are back), and waits until each is back in the datacenter.
     */
    public void start(Member... members) {
        List.of(members).forEach(this::launch);
        List.of(members).forEach(this::awaitReady);
    }

    /** Stops (SIGTERM) every server and starts them again with their data: a datacenter-wide reboot. */
    public void restartServers() {
        servers.forEach(this::stop);
        start(servers.toArray(Member[]::new));
        clients.stream().filter(Member::isRunning).forEach(this::awaitReady);
    }

    /** Stops (SIGTERM) and starts a member with its data. */
    public void restart(Member member) {
        stop(member);
        start(member);
    }

    /** Kills a member, wipes its data directory and starts it again: it comes back knowing nothing. */
    public void restartEmpty(Member member) {
        kill(member);
        wipe(member);
        start(member);
    }

    /**
     * Kills every server, wipes their data and starts them again: a datacenter whose servers lost
     * all state. Returns when a leader was first seen again (the datacenter answers from then on,
     * empty), after waiting until every running member is back in it.
     */
    public Instant restartServersEmpty() {
        servers.forEach(this::kill);
        servers.forEach(this::wipe);
        servers.forEach(this::launch);
        Instant leader = awaitLeader(READY_TIMEOUT, null) != null ? Instant.now() : null;
        servers.forEach(this::awaitReady);
        clients.stream().filter(Member::isRunning).forEach(m -> awaitReady(m, RESYNC_TIMEOUT));
        return leader;
    }

    /** Kills every member, wipes all data and starts the whole datacenter again. */
    public void restartEmpty() {
        clients.forEach(this::kill);
        restartServersEmpty();
        clients.forEach(this::wipe);
        clients.forEach(this::launch);
        clients.forEach(this::awaitReady);
    }

    /** SIGSTOP: the member keeps its state but answers nothing, as a hung machine would. */
    public void freeze(Member member) {
        signal(member, "STOP");
    }

    /** SIGCONT after {@link #freeze}. */
    public void thaw(Member member) {
        signal(member, "CONT");
    }

    private void signal(Member member, String name) {
        long pid = member.pid();
        if (pid <= 0) {
            throw new IllegalStateException(member + " is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        log.info("consul {} of {}: SIG{}", member.name, datacenter, name);
    }

    private void launch(Member member) {
        synchronized (member) {
            if (member.isRunning()) {
                return;
            }
            try {
                Files.createDirectories(member.dataDir);
                Files.createDirectories(member.logFile.getParent());
                Path config = member.dataDir.getParent().resolve("agent.json");
                Files.writeString(config, configJson(member));
                Path pidFile = member.dataDir.getParent().resolve("consul.pid");
                Files.deleteIfExists(pidFile);
                List<String> command = List.of("sh", "-c", ConsulAgent.GUARD, "consul-guard", pidFile.toString(),
                        binary.toString(), "agent", "-config-file", config.toString());
                member.guard = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(member.logFile.toFile())).start();
                Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
                while (!Files.isRegularFile(pidFile) || Files.readString(pidFile).isBlank()) {
                    if (Instant.now().isAfter(deadline) || !member.guard.isAlive()) {
                        throw new IllegalStateException("consul " + member.name + " did not start; log " + member.logFile);
                    }
                    ConsulAgent.pause(Duration.ofMillis(10));
                }
                member.pid = Long.parseLong(Files.readString(pidFile).strip());
                log.info("starting consul {} of {} (http {}, {}), log {}", member.name, datacenter, member.ports.http(),
                        member.role, member.logFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start consul " + member.name, e);
            }
        }
    }

    /** Ready = it knows a leader and its own node is registered with a passing serfHealth. */
    private void awaitReady(Member member) {
        awaitReady(member, READY_TIMEOUT);
    }

    private void awaitReady(Member member, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        String state = "not answering";
        while (Instant.now().isBefore(deadline)) {
            if (!member.isRunning()) {
                throw new IllegalStateException("consul " + member.name + " exited during start; last lines of "
                        + member.logFile + ":\n" + tail(member.logFile, 20));
            }
            Optional<String> leader = send(member.httpUrl(), "GET", "/v1/status/leader", null, Duration.ofSeconds(2));
            if (leader.isPresent() && leader.get().contains(":")) {
                Optional<String> health = send(member.httpUrl(), "GET", "/v1/health/node/" + member.name, null, Duration.ofSeconds(2));
                if (health.isPresent() && health.get().contains("\"serfHealth\"") && health.get().contains("passing")) {
                    return;
                }
                state = "leader elected, node not yet registered";
            } else if (leader.isPresent()) {
                state = "no leader yet";
            }
            ConsulAgent.pause(Duration.ofMillis(100));
        }
        throw new IllegalStateException("consul " + member.name + " not ready after " + timeout.toSeconds() + " s ("
                + state + "); log " + member.logFile);
    }

    private void terminate(Member member, boolean forcibly) {
        synchronized (member) {
            if (member.guard == null) {
                return;
            }
            Optional<ProcessHandle> consul = member.pid > 0 ? ProcessHandle.of(member.pid) : Optional.empty();
            consul.ifPresent(p -> {
                // A frozen process ignores SIGTERM until it runs again.
                signalQuietly(p.pid(), "CONT");
                if (forcibly) {
                    p.destroyForcibly();
                } else {
                    p.destroy();
                }
            });
            try {
                if (!member.guard.waitFor(15, TimeUnit.SECONDS)) {
                    consul.ifPresent(ProcessHandle::destroyForcibly);
                }
                member.guard.getOutputStream().close();
                member.guard.descendants().forEach(ProcessHandle::destroyForcibly);
                member.guard.destroyForcibly();
                member.guard.waitFor(10, TimeUnit.SECONDS);
                consul.ifPresent(p -> p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> p).join());
            } catch (IOException e) {
                log.debug("closing the guard of {}", member.name, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (consul.isPresent() && consul.get().isAlive()) {
                log.warn("consul pid {} ({}) still alive after kill", member.pid, member.name);
            }
            member.guard = null;
            member.pid = -1;
        }
    }

    private static void signalQuietly(long pid, String signal) {
        try {
            new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.debug("kill -{} {}", signal, pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void wipe(Member member) {
        deleteTree(member.dataDir);
    }

    private String configJson(Member member) {
        boolean server = member.role == Role.SERVER;
        List<String> lan = servers.stream().filter(s -> s != member).map(Member::serfLanAddress).toList();
        StringBuilder b = new StringBuilder("{\n");
        b.append("  \"datacenter\": \"").append(datacenter).append("\",\n");
        b.append("  \"node_name\": \"").append(member.name).append("\",\n");
        // Fixed: a wiped member comes back as the same node, not as a conflicting new one.
        b.append("  \"node_id\": \"").append(member.nodeId).append("\",\n");
        b.append("  \"data_dir\": \"").append(member.dataDir).append("\",\n");
        b.append("  \"server\": ").append(server).append(",\n");
        if (server) {
            b.append("  \"bootstrap_expect\": ").append(SERVERS).append(",\n");
            // Production's fast setting: elections in ~1-3 s (the default multiplier 5 is for tiny VMs).
            b.append("  \"performance\": {\"raft_multiplier\": 1},\n");
            // A wiped server rejoining is a voter again after 2 s, not the default 10 s.
            b.append("  \"autopilot\": {\"server_stabilization_time\": \"2s\"},\n");
            b.append("  \"retry_join_wan\": ").append(jsonList(wanPeers.get())).append(",\n");
            b.append("  \"retry_interval_wan\": \"1s\",\n");
            b.append("  \"advertise_addr_wan\": \"127.0.0.1\",\n");
        }
        b.append("  \"retry_join\": ").append(jsonList(lan)).append(",\n");
        b.append("  \"retry_interval\": \"1s\",\n");
        if (!server && advertiseHostUrl) {
            b.append("  \"node_meta\": {\"edge-host-url\": \"").append(member.httpUrl()).append("\"},\n");
        }
        // 8h is the shortest Consul accepts: a dead member's slot is reaped no faster in production.
        b.append("  \"reconnect_timeout\": \"8h\",\n");
        // A crash, not a goodbye: SIGTERM must not make the node leave (clients default to leaving).
        b.append("  \"leave_on_terminate\": false,\n  \"skip_leave_on_interrupt\": true,\n");
        b.append("  \"bind_addr\": \"127.0.0.1\",\n  \"client_addr\": \"127.0.0.1\",\n  \"advertise_addr\": \"127.0.0.1\",\n");
        b.append("  \"disable_update_check\": true,\n  \"log_level\": \"info\",\n");
        if (acl != null) {
            b.append("  \"primary_datacenter\": \"").append(acl.primary()).append("\",\n");
            b.append("  \"acl\": {\"enabled\": true, \"default_policy\": \"deny\", \"down_policy\": \"async-cache\",");
            if (server) {
                b.append(" \"enable_token_replication\": true,");
            }
            b.append(" \"tokens\": {\"agent\": \"").append(acl.masterToken()).append('"');
            if (server) {
                b.append(", \"replication\": \"").append(acl.masterToken()).append('"');
            }
            b.append("}},\n");
        }
        b.append("  \"ports\": {\"http\": ").append(member.ports.http()).append(", \"https\": -1, \"dns\": -1, \"grpc\": -1, \"serf_lan\": ")
                .append(member.ports.serfLan()).append(", \"serf_wan\": ").append(member.ports.serfWan())
                .append(", \"server\": ").append(member.ports.server()).append("}\n}\n");
        return b.toString();
    }

    private static String jsonList(List<String> values) {
        return values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(", ", "[", "]"));
    }

    private Optional<String> send(String base, String method, String path, String body, Duration timeout) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (acl != null) {
            builder.header("X-Consul-Token", acl.masterToken());
        }
        try {
            HttpResponse<String> response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("cannot delete {}", dir, e);
        }
    }

    /** Every pid of this cluster's consul processes now running, for orphan checks. */
    public List<Long> pids() {
        return Stream.concat(servers.stream(), clients.stream()).map(Member::pid).filter(p -> p > 0).toList();
    }

    @Override
    public void close() {
        clients.forEach(m -> terminate(m, true));
        servers.forEach(m -> terminate(m, true));
        deleteTree(root);
        LIVE.remove(this);
    }

    @Override
    public String toString() {
        return "consul-cluster[" + datacenter + ": " + servers + " + " + clients + "]";
    }
}
