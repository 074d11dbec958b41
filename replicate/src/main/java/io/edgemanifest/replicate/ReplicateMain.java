package io.edgemanifest.replicate;

import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.cli.Lifecycle;
import io.edgemanifest.core.cli.TokenOptions;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.metrics.MetricsServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Entry point of {@code replicate}. */
@Command(name = "replicate", mixinStandardHelpOptions = true, version = "replicate 0.1.0", sortOptions = false,
        description = "Copies services and KV from every Stargate datacenter into the Explorer's Consul: "
                + "replica/<dc>/kv/<key> (bytes and flags as at the source) and replica/<dc>/services/<id> (JSON with "
                + "the aggregated check status); status in replicate/status/<dc>. Run several instances for HA: "
                + "each source is replicated by exactly one, the holder of replicate/lock/<dc>.")
public final class ReplicateMain implements Callable<Integer> {

    @Option(names = "--consul", paramLabel = "URL", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "The destination: Consul next to the Network Explorer. Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    String consul;

    @Option(names = "--source", paramLabel = "DC[=URL]", split = ",",
            description = "A Stargate datacenter to replicate (at least one); repeatable. DC alone is read through the destination's "
                    + "WAN federation (?dc=DC); DC=URL reads that Consul directly.")
    List<String> sources;

    @Option(names = "--prefix", paramLabel = "PREFIX", split = ",", defaultValue = "manifest/",
            description = "KV prefix to replicate; repeatable. Default: ${DEFAULT-VALUE}")
    List<String> prefixes;

    @Option(names = "--exclude", paramLabel = "PREFIX", split = ",",
            description = "KV prefix not to replicate (e.g. manifest/config/secrets/); repeatable.")
    List<String> excludes;

    /** One token for the destination and every source: replicate's is global (see docs/security.md). */
    @Mixin
    TokenOptions tokens;

    @Option(names = "--wait", paramLabel = "DURATION", defaultValue = "30s",
            description = "Longest wait of a blocking query at a source, at most 60s (a quiet source answers once per "
                    + "wait: the alert ReplicateSourceSilent counts on it). Default: ${DEFAULT-VALUE}")
    Duration wait;

    @Option(names = "--delete-guard-ratio", paramLabel = "SHARE", defaultValue = "0.5",
            description = "An answer deleting more than this share of a scope's entries ... Default: ${DEFAULT-VALUE}")
    double guardRatio;

    @Option(names = "--delete-guard-min", paramLabel = "N", defaultValue = "100",
            description = "... and more than N of them is applied only after a consistent re-read agrees. Default: ${DEFAULT-VALUE}")
    int guardMin;

    @Option(names = "--confirm-delay", paramLabel = "DURATION", defaultValue = "3s",
            description = "Wait before that confirming re-read (an empty answer is always confirmed). Default: ${DEFAULT-VALUE}")
    Duration confirmDelay;

    @Option(names = "--unreachable-after", paramLabel = "DURATION", defaultValue = "10s",
            description = "A source is reported unreachable only after its reads kept failing this long (a leader "
                    + "election is not an outage). Default: ${DEFAULT-VALUE}")
    Duration unreachableAfter;

    @Option(names = "--max-stale", paramLabel = "DURATION", defaultValue = "10s",
            description = "Reads are ?stale (any server answers during an election); an answer from a server out of "
                    + "touch with its leader for longer is refused. Default: ${DEFAULT-VALUE}")
    Duration maxStale;

    @Option(names = "--resync-hold", paramLabel = "DURATION", defaultValue = "130s",
            description = "After a source's state was reset, the longest a live node's services are kept while its agent "
                    + "re-syncs them (Consul 1.8 agents re-sync fully every 60-120 s). Default: ${DEFAULT-VALUE}")
    Duration resyncHold;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "10s",
            description = "TTL of this instance's check; a dead instance's sources move within about this. Default: ${DEFAULT-VALUE}")
    Duration ttl;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", defaultValue = "${env:EDGE_METRICS:-127.0.0.1:9464}",
            description = "Where to serve Prometheus /metrics (port 0: any free port). Default: ${DEFAULT-VALUE}")
    String metrics;

    Replicator.ReplicateConfig config() {
        ConsulToken token = tokens.token();
        List<SourceSpec> specs = sources == null ? List.of() : sources.stream().map(s -> SourceSpec.parse(s, token)).toList();
        ReplicateSettings settings = new ReplicateSettings(prefixes, excludes, wait, guardRatio, guardMin,
                confirmDelay, Duration.ofSeconds(10), unreachableAfter, maxStale, resyncHold);
        return new Replicator.ReplicateConfig(ConsulEndpoint.parse(consul, token, tokens.consulCaFile), specs, settings, ttl,
                Duration.ofSeconds(1));
    }

    @Override
    public Integer call() {
        Replicator.ReplicateConfig config = config();
        TokenCheck.require(config.destination(), tokens.source());
        MetricsServer server = MetricsServer.listen(io.edgemanifest.core.metrics.JvmBasics.bindTo(MetricsServer.newRegistry()), metrics, "--metrics");
        Replicator replicator = new Replicator(config, server.registry()).start();
        return Lifecycle.runUntilSignalled(() -> {
            replicator.close();
            server.close();
        }, replicator.id());
    }

    public static void main(String[] args) {
        System.exit(Cli.run(new ReplicateMain(), args));
    }
}
