package io.edgemanifest.replicate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.kiwiproject.consul.Consul;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Replicates one source datacenter: one virtual thread per scope (each KV prefix, each node service). */
final class SourceReplicator implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SourceReplicator.class);
    /** Services replicated by name; hosts, each with a name of its own, are one {@link Scopes.Hosts} scope. */
    static final List<String> SERVICES = List.of("gateway", "stargate");

    private final SourceSpec source;
    private final SourceStatus status;
    private final Consul sourceClient;
    private final List<ScopeReplicator> scopes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    SourceReplicator(SourceSpec source, ConsulEndpoint destinationEndpoint, Consul destination, ReplicaWriter writer,
                     ReplicateSettings settings, ReplicateMetrics metrics) {
        this.source = source;
        ConsulEndpoint reach = source.direct().orElse(destinationEndpoint);
        this.sourceClient = reach.watchClient(settings.blockingWait());
        Optional<String> viaDc = source.direct().isPresent() ? Optional.empty() : Optional.of(source.datacenter());
        this.status = new SourceStatus(source.datacenter(), destination);
        for (String prefix : settings.prefixes()) {
            scopes.add(new ScopeReplicator(source.datacenter(),
                    new Scopes.Kv(sourceClient, viaDc, source.datacenter(), prefix, settings.excludes()),
                    destination, writer, status, settings, metrics));
        }
        scopes.add(new ScopeReplicator(source.datacenter(),
                new Scopes.Hosts(sourceClient, reach, viaDc, source.datacenter()),
                destination, writer, status, settings, metrics));
        for (String service : SERVICES) {
            scopes.add(new ScopeReplicator(source.datacenter(),
                    new Scopes.Service(sourceClient, reach, viaDc, source.datacenter(), service),
                    destination, writer, status, settings, metrics));
        }
    }

    /** The liveness beat of this source's status (written when due): see {@link SourceStatus#beat()}. */
    void beat() {
        status.beat();
    }

    SourceReplicator start() {
        for (ScopeReplicator scope : scopes) {
            threads.add(Thread.ofVirtual().name("replicate-" + source.datacenter()).start(scope));
        }
        log.info("replicating source {} ({} scopes)", source.datacenter(), scopes.size());
        return this;
    }

    @Override
    public void close() {
        scopes.forEach(ScopeReplicator::stop);
        threads.forEach(Thread::interrupt);
        sourceClient.destroy();
        log.info("stopped replicating source {}", source.datacenter());
    }
}
