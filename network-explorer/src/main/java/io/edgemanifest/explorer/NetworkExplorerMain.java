package io.edgemanifest.explorer;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.TokenOptions;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code network-explorer}. */
@Command(name = "network-explorer", mixinStandardHelpOptions = true, version = "network-explorer 0.1.0", sortOptions = false,
        subcommands = io.edgemanifest.explorer.auth.HashPasswordCommand.class,
        description = "Network Explorer: every device ever seen, with status, history and uptime, over an API and a web UI.")
public final class NetworkExplorerMain implements Callable<Integer> {

    @Option(names = "--consul", paramLabel = "URL", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "The Explorer's Consul, where replicate writes replica/. Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    String consul;

    @Mixin
    TokenOptions tokens;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:EDGE_PORT:-8080}",
            description = "HTTP port of the API and UI (0: any free port). Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--bind", paramLabel = "HOST", defaultValue = "${env:EDGE_BIND:-127.0.0.1}",
            description = "Address to listen on. Default: ${DEFAULT-VALUE}")
    String bind;

    @Option(names = "--auth-file", paramLabel = "FILE", defaultValue = "${env:EDGE_AUTH_FILE}",
            description = "Require a login: user:bcrypt-hash lines as `htpasswd -B -c FILE USER` writes them (or "
                    + "`network-explorer hash-password USER`); re-read when it changes. Then only /healthz and the login "
                    + "page answer without a session, the API and /metrics (unless --metrics) included. Env EDGE_AUTH_FILE.")
    Path authFile;

    @Option(names = "--session-idle", paramLabel = "DURATION", defaultValue = "${env:EDGE_SESSION_IDLE:-12h}",
            description = "With --auth-file: a session unused this long ends (sessions live in memory: a restart ends "
                    + "them all). Default: ${DEFAULT-VALUE}")
    java.time.Duration sessionIdle;

    @Option(names = "--insecure", description = "Allow --bind on a non-loopback address without --auth-file (a trusted "
            + "network, or a proxy in front that does the login). Without it such a start is refused.")
    boolean insecure;

    @Option(names = "--metrics", paramLabel = "HOST:PORT",
            description = "Serve Prometheus /metrics only here, without login (then the API port has none). Without it "
                    + "/metrics is on the API port, where --auth-file requires a session.")
    String metricsAddress;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_DATA_DIR:-${sys:user.home}/.edge-manifest/explorer}",
            description = "Where the default H2 store lives. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--db", paramLabel = "JDBC_URL", defaultValue = "${env:EDGE_DB}",
            description = "Store JDBC URL (default: H2 file explorer in --data-dir; or jdbc:postgresql://host/db). Env EDGE_DB.")
    String db;

    @Option(names = "--db-user", paramLabel = "USER", defaultValue = "${env:EDGE_DB_USER}", description = "Store user.")
    String dbUser;

    @Option(names = "--db-password", paramLabel = "PASSWORD", defaultValue = "${env:EDGE_DB_PASSWORD}", description = "Store password. Env EDGE_DB_PASSWORD.")
    String dbPassword;

    @Option(names = "--record-grace", paramLabel = "DURATION", defaultValue = "${env:EDGE_RECORD_GRACE:-45s}",
            description = "A device whose check passes but whose record vanished (its session destroyed by another "
                    + "host on its agent) stays online this long while it rewrites it. Default: ${DEFAULT-VALUE}")
    java.time.Duration recordGrace;

    @Option(names = "--replicate-silence", paramLabel = "DURATION", defaultValue = "${env:EDGE_REPLICATE_SILENCE:-30s}",
            description = "replicate beats every 5 s per datacenter; after this long without a beat (every replicate "
                    + "instance down: the replica froze) that datacenter's devices are unknown. Default: ${DEFAULT-VALUE}")
    java.time.Duration replicateSilence;

    @Option(names = "--agent-down-grace", paramLabel = "DURATION", defaultValue = "${env:EDGE_AGENT_DOWN_GRACE:-60s}",
            description = "A host whose Consul agent died (replica status agent-down) is unknown, not offline: it moves "
                    + "to another agent. If it is not passing anywhere after this long it is offline. Default: ${DEFAULT-VALUE}")
    java.time.Duration agentDownGrace;

    @Option(names = "--ha", defaultValue = "${env:EDGE_HA:-false}",
            description = "Run as one of several Explorers on one PostgreSQL store: all serve the API, only the holder "
                    + "of the Consul lock --lock-key ingests, and a standby takes over within --lock-ttl + ~1 s of its death. Env EDGE_HA.")
    boolean haEnabled;

    @Option(names = "--lock-key", paramLabel = "KEY", defaultValue = "${env:EDGE_LOCK_KEY:-" + io.edgemanifest.explorer.ha.HaConfig.DEFAULT_LOCK_KEY + "}",
            description = "With --ha: the ingest lock's key in the Explorer's Consul. Default: ${DEFAULT-VALUE}")
    String lockKey;

    @Option(names = "--lock-ttl", paramLabel = "DURATION", defaultValue = "${env:EDGE_LOCK_TTL:-10s}",
            description = "With --ha: TTL of the check the lock's session is bound to (whole seconds, 3s..1h); a dead "
                    + "holder's lock is free after it. Default: ${DEFAULT-VALUE}")
    java.time.Duration lockTtl;

    @Option(names = "--events-retention", paramLabel = "DURATION", defaultValue = "${env:EDGE_EVENTS_RETENTION:-90d}",
            description = "Raw events are kept this long (at least 2d), then rolled up per device and hour (kept forever) "
                    + "and deleted. Default: ${DEFAULT-VALUE}")
    String eventsRetention;

    @Option(names = "--target", paramLabel = "KIND=SHARE", split = ",",
            description = "Availability target per kind, e.g. host=0.4 (defaults: host 0.4, gateway 0.99, stargate 0.9999).")
    List<String> targetFlags;

    StoreConfig storeConfig() {
        Map<String, Double> targets = new HashMap<>(StoreConfig.DEFAULT_TARGETS);
        if (targetFlags != null) {
            for (String t : targetFlags) {
                int eq = t.indexOf('=');
                if (eq <= 0 || !StoreConfig.DEFAULT_TARGETS.containsKey(t.substring(0, eq))) {
                    throw new IllegalArgumentException("invalid --target '" + t + "' (use host=0.4, gateway=0.99 or stargate=0.9999)");
                }
                try {
                    targets.put(t.substring(0, eq), Double.parseDouble(t.substring(eq + 1)));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid --target '" + t + "' (the share is a number from 0 to 1)");
                }
            }
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("invalid --port " + port);
        }
        if (db == null || db.isBlank()) {
            StoreConfig h2 = StoreConfig.h2(dataDir.resolve("explorer"));
            return new StoreConfig(h2.jdbcUrl(), h2.user(), h2.password(), targets);
        }
        return new StoreConfig(db, dbUser, dbPassword, targets);
    }

    io.edgemanifest.explorer.ha.HaConfig haConfig(StoreConfig store) {
        io.edgemanifest.explorer.ha.HaConfig ha = new io.edgemanifest.explorer.ha.HaConfig(haEnabled, lockKey, lockTtl);
        if (ha.enabled() && store.isH2()) {
            // An H2 file is opened by one process (H2 locks it); two Explorers need a shared server.
            throw new IllegalArgumentException("invalid --ha: several Explorers share one PostgreSQL store "
                    + "(--db jdbc:postgresql://...); an H2 file serves a single Explorer");
        }
        return ha;
    }

    /** Login and exposure; checked before anything starts, so a bad file or a bare public bind is exit 2. */
    io.edgemanifest.explorer.auth.WebConfig webConfig() {
        io.edgemanifest.explorer.auth.WebConfig web = io.edgemanifest.explorer.auth.WebConfig.of(authFile, sessionIdle, metricsAddress);
        if (io.edgemanifest.explorer.auth.Exposure.check(bind, web.authOn(), insecure)) {
            org.slf4j.LoggerFactory.getLogger(NetworkExplorerMain.class).warn("INSECURE: --bind {} without --auth-file (--insecure): "
                    + "anyone who reaches this address sees every device, with no login", bind);
        }
        if (web.metricsHost() != null && !io.edgemanifest.explorer.auth.Exposure.isLoopback(web.metricsHost())) {
            // /metrics needs no login where --metrics serves it: datacenter names and device counts.
            org.slf4j.LoggerFactory.getLogger(NetworkExplorerMain.class).warn("--metrics {} is reachable from other "
                    + "machines without a login (datacenter names and device counts): bind it to a private address "
                    + "your Prometheus uses, or firewall it", web.metricsHost());
        }
        return web;
    }

    @Override
    public Integer call() {
        io.edgemanifest.explorer.auth.WebConfig web = webConfig();
        StoreConfig config = storeConfig();
        io.edgemanifest.explorer.ha.HaConfig ha = haConfig(config);
        EventsRetention retention = EventsRetention.parse(eventsRetention);
        ConsulEndpoint endpoint = ConsulEndpoint.parse(consul, tokens.token(), tokens.consulCaFile);
        TokenCheck.require(endpoint, tokens.source()); // before the store: a bad token must not migrate anything
        requireReplicaRead(endpoint);
        DeviceStore store;
        try {
            store = JdbcDeviceStore.open(config);
        } catch (IllegalStateException e) {
            String why = String.valueOf(e.getMessage());
            if (config.isH2() && (why.contains("already in use") || why.contains("file is locked"))) {
                // H2 locks its file: a second Explorer on it fails here, before it could write anything.
                throw new IllegalArgumentException("the H2 store in " + dataDir + " is in use by another process (another "
                        + "Explorer?): an H2 file serves one Explorer; run several with --ha on one PostgreSQL store");
            }
            throw new IllegalArgumentException(e.getMessage().lines().findFirst().orElse("")); // bad or unreachable --db: one line, exit 2
        }
        if (recordGrace.isNegative()) {
            throw new IllegalArgumentException("invalid --record-grace " + recordGrace);
        }
        if (replicateSilence.compareTo(java.time.Duration.ofSeconds(2)) < 0) {
            throw new IllegalArgumentException("invalid --replicate-silence " + replicateSilence + " (at least 2s)");
        }
        if (agentDownGrace.isNegative() || agentDownGrace.isZero()) {
            throw new IllegalArgumentException("invalid --agent-down-grace " + agentDownGrace + " (must be positive)");
        }
        Explorer explorer = new Explorer(endpoint, store, config.targets(), Clock.systemUTC(), recordGrace, replicateSilence, ha,
                agentDownGrace, web, retention)
                .start(bind, port);
        return Lifecycle.runUntilSignalled(explorer, "network-explorer");
    }

    /**
     * Consul 1.8 filters a recursive read the token may not make down to nothing, which would look
     * like an empty network — every device OFFLINE. A single-key read is refused with 403 instead:
     * asked once at start, a token without read on the replica is a configuration error (exit 2).
     */
    private void requireReplicaRead(ConsulEndpoint endpoint) {
        org.kiwiproject.consul.Consul consul = endpoint.client(java.time.Duration.ofSeconds(5));
        try {
            for (String key : List.of("replica/", "replicate/status/")) {
                try {
                    consul.keyValueClient().getValue(key);
                } catch (RuntimeException e) {
                    if (io.edgemanifest.core.consul.ConsulErrors.isPermissionDenied(e)) {
                        throw new IllegalArgumentException("the Explorer's token (" + tokens.source()
                                + ") may not read " + key + " at " + endpoint + ": give it the explorer role (stargate acl token create --role explorer)");
                    }
                    return; // not answering is not a configuration error: ingest retries
                }
            }
        } finally {
            consul.destroy();
        }
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new NetworkExplorerMain(), args));
    }
}
