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
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One real {@code consul agent -dev} server: its own datacenter, on free loopback ports, as a child
 * process. It can be stopped and started again on the same ports (a dev agent keeps its state in
 * memory, so a restart is a Consul that forgot everything — exactly what self-healing must survive).
 *
 * <p>No orphans: the agent runs under a tiny shell guard that kills it when this JVM's end of the
 * guard's stdin pipe closes — on {@link #close()}, on normal JVM exit, and also when the JVM is
 * killed with {@code -9}, where no shutdown hook runs.
 */
public final class ConsulAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ConsulAgent.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Set<ConsulAgent> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ConsulAgent::close), "consul-agent-reaper"));
    }

    /**
     * Kills the agent when the guard's stdin reaches EOF (our JVM closed it or died), and passes on
     * the agent's exit status otherwise. {@code $1} is the pid file, the rest is the command.
     * stdin goes through fd 3 because a non-interactive shell gives background jobs /dev/null.
     */
    static final String GUARD = """
            pidfile="$1"; shift
            exec 3<&0
            "$@" </dev/null 3<&- &
            c=$!
            echo "$c" > "$pidfile"
            { cat <&3 >/dev/null; kill -KILL "$c" 2>/dev/null; } &
            wait "$c"
            """;

    private final String datacenter;
    private final String node;
    private final Path binary;
    private final Path logFile;
    private final Ports ports;
    private volatile Supplier<List<String>> wanPeers;
    private final Acl acl;
    /** The other datacenters of this agent's group: where ACL writes must have replicated to. */
    private volatile Supplier<java.util.Collection<ConsulAgent>> group = List::of;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Path workDir;
    private Process guard;
    private long consulPid = -1;

    /**
     * ACLs as production runs them: on, default deny, one primary datacenter holding the ACL system
     * and the others replicating its tokens; {@code masterToken} is the management token's secret.
     */
    record Acl(String primary, String masterToken) {
    }

    /** Ports the agent listens on, all on 127.0.0.1. */
    public record Ports(int http, int serfLan, int serfWan, int server, int grpc) {
        static Ports allocate() {
            return new Ports(FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next(), FreePorts.next());
        }
    }

    /**
     * @param wanPeers the Serf WAN addresses of the other datacenters, asked at every start, so a
     *                 restarted agent rejoins the WAN pool by itself
     */
    ConsulAgent(String datacenter, Path binary, Path logDir, Supplier<List<String>> wanPeers) {
        this(datacenter, binary, logDir, wanPeers, null);
    }

    ConsulAgent(String datacenter, Path binary, Path logDir, Supplier<List<String>> wanPeers, Acl acl) {
        this.acl = acl;
        this.datacenter = requireName(datacenter);
        this.node = "consul-" + datacenter;
        this.binary = binary;
        this.logFile = logDir.resolve(datacenter + "-" + Instant.now().toEpochMilli() + ".log");
        this.ports = Ports.allocate();
        this.wanPeers = wanPeers;
    }

    /** A single stand-alone datacenter, using the binary found by {@link ConsulBinary#locate()}. */
    public static ConsulAgent create(String datacenter) {
        return new ConsulAgent(datacenter, ConsulBinary.locate(), defaultLogDir(), List::of);
    }

    /** A single stand-alone datacenter with ACLs on (default deny), its own primary. */
    public static ConsulAgent createWithAcls(String datacenter) {
        return new ConsulAgent(datacenter, ConsulBinary.locate(), defaultLogDir(), List::of,
                new Acl(datacenter, java.util.UUID.randomUUID().toString()));
    }

    static Path defaultLogDir() {
        String configured = System.getProperty("edge.test.logDir");
        return configured != null ? Paths.get(configured) : Paths.get("target", "consul-logs");
    }

    private static String requireName(String name) {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("datacenter name must be lower-case letters, digits and '-': " + name);
        }
        return name;
    }

    private volatile String logLevel;
    private volatile TlsFiles https;
    private volatile int httpsPort = -1;

    /**
     * Also serve the HTTP API over TLS with this certificate from the next start (see {@link #httpsUrl()}),
     * as Consul does with {@code ports.https}, {@code cert_file} and {@code key_file}.
     */
    public ConsulAgent withHttps(TlsFiles tls) {
        this.https = tls;
        if (httpsPort < 0) {
            httpsPort = FreePorts.next();
        }
        return this;
    }

    /** Base URL of the HTTPS API, e.g. {@code https://127.0.0.1:18501} (after {@link #withHttps}). */
    public String httpsUrl() {
        if (https == null) {
            throw new IllegalStateException("consul for " + datacenter + " serves no HTTPS: call withHttps first");
        }
        return "https://127.0.0.1:" + httpsPort;
    }

    /**
     * The agent's log level from its next start ({@code -dev} defaults to debug, whose per-service
     * lines cost real CPU with thousands of services: benchmarks run at info, as production does).
     */
    public ConsulAgent withLogLevel(String level) {
        if (level == null || !level.matches("(?i)trace|debug|info|warn|err")) {
            throw new IllegalArgumentException("invalid Consul log level '" + level + "'");
        }
        this.logLevel = level.toLowerCase(java.util.Locale.ROOT);
        return this;
    }

    public String datacenter() {
        return datacenter;
    }

    /**
     * Also WAN-join these Serf WAN addresses at every start (e.g. a {@link ConsulCluster}'s servers),
     * so a restarted agent finds a datacenter that is not part of its {@link ConsulDatacenters} group.
     */
    public ConsulAgent alsoWanJoin(Supplier<List<String>> more) {
        Supplier<List<String>> before = this.wanPeers;
        this.wanPeers = () -> {
            List<String> all = new ArrayList<>(before.get());
            all.addAll(more.get());
            return all;
        };
        return this;
    }

    /** The ACL settings this agent runs with (null: ACLs off): secondaries of its ACL system copy them. */
    Acl acl() {
        return acl;
    }

    /** Whether this datacenter runs with ACLs (default deny). */
    public boolean aclsEnabled() {
        return acl != null;
    }

    /**
     * The management token's secret (global: valid in every datacenter of the group), or null when
     * ACLs are off. Tests hand narrower tokens to the code under test: see {@link #createToken}.
     */
    public String masterToken() {
        return acl == null ? null : acl.masterToken();
    }

    /**
     * Creates a policy with these HCL rules (named {@code name}, replaced if it exists) and a global
     * token carrying it; returns the token's secret. For tests of what a token may and may not do.
     */
    public String createToken(String name, String rules) {
        return createToken(name, rules, List.of());
    }

    /** As {@link #createToken(String, String)}, the policy valid only in {@code datacenters} (empty: all). */
    public String createToken(String name, String rules, List<String> datacenters) {
        createPolicy(name, rules, datacenters);
        return createToken(List.of(name));
    }

    /** Creates (or replaces) a policy; {@code datacenters} empty means valid everywhere. */
    public void createPolicy(String name, String rules, List<String> datacenters) {
        if (acl == null) {
            throw new IllegalStateException("datacenter " + datacenter + " runs without ACLs");
        }
        String dcs = datacenters.stream().map(ConsulAgent::json).collect(Collectors.joining(", ", "[", "]"));
        String policy = "{\"Name\": " + json(name) + ", \"Rules\": " + json(rules) + ", \"Datacenters\": " + dcs + "}";
        Optional<String> existing = get("/v1/acl/policy/name/" + name);
        if (existing.isPresent()) {
            String id = field(existing.get(), "ID");
            request("PUT", "/v1/acl/policy/" + id, policy).orElseThrow(() -> new IllegalStateException("cannot update policy " + name));
        } else {
            request("PUT", "/v1/acl/policy", policy).orElseThrow(() -> new IllegalStateException("cannot create policy " + name));
        }
        awaitReplicated(name);
    }

    void joinGroup(Supplier<java.util.Collection<ConsulAgent>> members) {
        this.group = members;
    }

    /**
     * Waits until every other running datacenter of the group has replicated the ACL system up to
     * now: Consul replicates tokens and policies apart, ~0.1 s after the primary, and a test using a
     * token in a secondary at once would see 403 (its token known, its policy not yet) — measured.
     */
    private void awaitReplicated(String what) {
        long index = aclIndex("/v1/acl/policies");
        long tokens = aclIndex("/v1/acl/tokens");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(15));
        for (ConsulAgent other : group.get()) {
            if (other == this || !other.isRunning() || other.acl == null) {
                continue;
            }
            while (true) {
                String state = other.get("/v1/acl/replication").orElse("");
                if (number(state, "ReplicatedIndex") >= index && number(state, "ReplicatedTokenIndex") >= tokens) {
                    break;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("datacenter " + other.datacenter + " did not replicate " + what
                            + " within 15 s: " + state);
                }
                pause(Duration.ofMillis(20));
            }
        }
    }

    /** The index of an ACL table in this (primary) datacenter: the X-Consul-Index of its listing. */
    private long aclIndex(String path) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(httpUrl() + path)).timeout(Duration.ofSeconds(10))
                    .header("X-Consul-Token", acl.masterToken()).GET().build();
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            return response.headers().firstValueAsLong("X-Consul-Index").orElse(0L);
        } catch (IOException e) {
            return 0L;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0L;
        }
    }

    private static long number(String json, String name) {
        var matcher = java.util.regex.Pattern.compile("\"" + name + "\"\\s*:\\s*(\\d+)").matcher(json);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1L;
    }

    /** A new global token carrying these (existing) policies; returns its secret. */
    public String createToken(List<String> policyNames) {
        String policies = policyNames.stream().map(n -> "{\"Name\": " + json(n) + "}").collect(Collectors.joining(", ", "[", "]"));
        String token = request("PUT", "/v1/acl/token", "{\"Description\": " + json("test " + String.join(",", policyNames))
                + ", \"Policies\": " + policies + "}")
                .orElseThrow(() -> new IllegalStateException("cannot create a token for " + policyNames));
        awaitReplicated("a token for " + policyNames);
        return field(token, "SecretID");
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    /** A top-level string field of a JSON object: enough for Consul's ACL answers, no parser needed here. */
    private static String field(String json, String name) {
        var matcher = java.util.regex.Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        if (!matcher.find()) {
            throw new IllegalStateException("no " + name + " in Consul's answer");
        }
        return matcher.group(1);
    }

    public String nodeName() {
        return node;
    }

    public Ports ports() {
        return ports;
    }

    /** Base URL of the HTTP API, e.g. {@code http://127.0.0.1:18500}. */
    public String httpUrl() {
        return "http://127.0.0.1:" + ports.http();
    }

    public String serfWanAddress() {
        return "127.0.0.1:" + ports.serfWan();
    }

    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return guard != null && guard.isAlive();
    }

    /** Starts the agent and returns once it has a leader and its own node is registered and healthy. */
    public synchronized ConsulAgent start() {
        if (isRunning()) {
            return this;
        }
        try {
            Files.createDirectories(logFile.getParent());
            workDir = Files.createTempDirectory("edge-consul-" + datacenter + "-");
            Path config = workDir.resolve("agent.json");
            Files.writeString(config, configJson(wanPeers.get()));
            List<String> command = new ArrayList<>(List.of("sh", "-c", GUARD, "consul-guard",
                    workDir.resolve("consul.pid").toString(), binary.toString(), "agent", "-dev",
                    "-datacenter", datacenter, "-node", node, "-config-file", config.toString()));
            guard = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            LIVE.add(this);
            log.info("starting consul datacenter {} (http {}, serf wan {}), log {}", datacenter, ports.http(),
                    ports.serfWan(), logFile);
            awaitReady();
            consulPid = Long.parseLong(Files.readString(workDir.resolve("consul.pid")).trim());
            return this;
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot start consul for datacenter " + datacenter, e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private String configJson(List<String> peers) {
        String join = peers.stream().map(p -> "\"" + p + "\"").collect(Collectors.joining(","));
        return """
                {
                  "bind_addr": "127.0.0.1",
                  "client_addr": "127.0.0.1",
                  "advertise_addr": "127.0.0.1",
                  "advertise_addr_wan": "127.0.0.1",
                  "disable_update_check": true,%s
                  "retry_join_wan": [%s],
                  "retry_interval_wan": "1s",%s%s
                  "ports": {"http": %d, "https": %d, "dns": -1, "serf_lan": %d, "serf_wan": %d, "server": %d, "grpc": %d}
                }
                """.formatted(logLevel == null ? "" : "\n  \"log_level\": \"" + logLevel + "\",", join, aclJson(), httpsJson(), ports.http(), https == null ? -1 : httpsPort, ports.serfLan(), ports.serfWan(), ports.server(), ports.grpc());
    }

    private String httpsJson() {
        TlsFiles tls = https;
        return tls == null ? "" : "\n  \"cert_file\": \"" + tls.cert() + "\", \"key_file\": \"" + tls.key() + "\",";
    }

    private String aclJson() {
        if (acl == null) {
            return "";
        }
        boolean primary = acl.primary().equals(datacenter);
        // The agent token lets the agent register its own node and sync services; secondaries
        // replicate tokens from the primary with the replication token, as production does.
        return """

                  "primary_datacenter": "%s",
                  "acl": {"enabled": true, "default_policy": "deny", "down_policy": "async-cache",
                          "enable_token_replication": %s,
                          "tokens": {%s"agent": "%s"%s}},""".formatted(acl.primary(), !primary,
                primary ? "\"master\": \"" + acl.masterToken() + "\", " : "", acl.masterToken(),
                primary ? "" : ", \"replication\": \"" + acl.masterToken() + "\"");
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(READY_TIMEOUT);
        String lastState = "not answering";
        while (Instant.now().isBefore(deadline)) {
            if (!guard.isAlive()) {
                throw new IllegalStateException("consul for datacenter " + datacenter + " exited with "
                        + guard.exitValue() + " during start; last lines of " + logFile + ":\n" + tail(20));
            }
            Optional<String> leader = get("/v1/status/leader");
            if (leader.isPresent() && leader.get().contains(":")) {
                // Sessions bound to serfHealth need the agent's own node registered and passing.
                Optional<String> health = get("/v1/health/node/" + node);
                if (health.isPresent() && health.get().contains("\"serfHealth\"") && health.get().contains("passing")) {
                    return;
                }
                lastState = "leader elected, node not yet registered";
            } else if (leader.isPresent()) {
                lastState = "no leader yet";
            }
            pause(Duration.ofMillis(100));
        }
        throw new IllegalStateException("consul for datacenter " + datacenter + " not ready after "
                + READY_TIMEOUT.toSeconds() + " s (" + lastState + "); log " + logFile);
    }

    /** GET on the agent's HTTP API (with the management token when ACLs are on); empty unless 200. */
    public Optional<String> get(String path) {
        return request("GET", path, null);
    }

    /** PUT on the agent's HTTP API (with the management token when ACLs are on); empty unless 200. */
    public Optional<String> put(String path, String body) {
        return request("PUT", path, body);
    }

    /** Any request with the management token when ACLs are on; empty unless Consul answers 200. */
    public Optional<String> request(String method, String path, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(httpUrl() + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (acl != null) {
            builder.header("X-Consul-Token", acl.masterToken());
        }
        return send(builder.build());
    }

    private Optional<String> send(HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? Optional.of(response.body()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** Joins this agent to another datacenter's Serf WAN pool. */
    public void joinWan(ConsulAgent other) {
        if (put("/v1/agent/join/" + other.serfWanAddress() + "?wan=1", "").isEmpty()) {
            throw new IllegalStateException("datacenter " + datacenter + " could not WAN-join " + other.datacenter);
        }
    }

    /** Datacenters this agent knows through the WAN pool (raw JSON array). */
    public String datacenters() {
        return get("/v1/catalog/datacenters").orElse("[]");
    }

    /**
     * Stops the agent the way an operator or a crash would: SIGTERM (no graceful leave, as for a
     * server), SIGKILL if it has not gone after 10 s. Ports stay reserved for {@link #start()}.
     */
    public synchronized void stop() {
        terminate(false);
    }

    /** Kills the agent with SIGKILL, as a power cut would. */
    public synchronized void kill() {
        terminate(true);
    }

    private void terminate(boolean forcibly) {
        if (guard == null) {
            return;
        }
        Optional<ProcessHandle> consul = consulPid > 0 ? ProcessHandle.of(consulPid) : Optional.empty();
        consul.ifPresent(p -> {
            if (forcibly) {
                p.destroyForcibly();
            } else {
                p.destroy();
            }
        });
        try {
            if (!guard.waitFor(10, TimeUnit.SECONDS)) {
                consul.ifPresent(ProcessHandle::destroyForcibly);
                guard.descendants().forEach(ProcessHandle::destroyForcibly);
            }
            // Closing stdin ends the guard's watcher (and kills consul if it is somehow still there).
            guard.getOutputStream().close();
            guard.descendants().forEach(ProcessHandle::destroyForcibly);
            guard.destroyForcibly();
            guard.waitFor(10, TimeUnit.SECONDS);
        } catch (IOException e) {
            log.debug("closing consul guard stdin for {}", datacenter, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (consul.isPresent() && consul.get().isAlive()) {
            log.warn("consul pid {} for datacenter {} still alive after kill", consulPid, datacenter);
        }
        guard = null;
        consulPid = -1;
        deleteWorkDir();
    }

    /**
     * Freezes the agent with SIGSTOP: it keeps all its state but answers nothing, as a partitioned
     * or hung datacenter would. {@link #thaw()} resumes it, with every TTL that ran out meanwhile
     * expiring at once.
     */
    public synchronized void freeze() {
        signal("STOP");
    }

    public synchronized void thaw() {
        signal("CONT");
    }

    private void signal(String name) {
        if (consulPid <= 0) {
            throw new IllegalStateException("consul for " + datacenter + " is not running");
        }
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(consulPid)).inheritIO().start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " " + consulPid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        terminate(true);
        LIVE.remove(this);
    }

    /** The pid of the consul process itself, for tests that check nothing is left behind. */
    public synchronized long pid() {
        return consulPid;
    }

    private void deleteWorkDir() {
        if (workDir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(workDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            log.debug("cannot delete {}", workDir, e);
        }
        workDir = null;
    }

    private String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(log unreadable: " + e.getMessage() + ")";
        }
    }

    static void pause(Duration duration) {
        try {
            // Polling an external process that offers no push notification of readiness.
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "consul[" + datacenter + " @ " + httpUrl() + "]";
    }
}
