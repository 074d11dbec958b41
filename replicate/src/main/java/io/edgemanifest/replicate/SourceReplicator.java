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

    /**
     * @param fence the lock of this source as this instance acquired it: every write is fenced by it,
     *              and a new holder starts a new replicator (its scopes read the destination afresh)
     */
    SourceReplicator(SourceSpec source, ConsulEndpoint destinationEndpoint, Consul destination, ReplicaWriter writer,
                     ReplicaWriter.Fence fence, ReplicateSettings settings, ReplicateMetrics metrics) {
        this.source = source;
        ConsulEndpoint reach = source.direct().orElse(destinationEndpoint);
        this.sourceClient = reach.watchClient(settings.blockingWait());
        Optional<String> viaDc = source.direct().isPresent() ? Optional.empty() : Optional.of(source.datacenter());
        String dc = source.datacenter();
        List<Scope> all = new ArrayList<>();
        for (String prefix : settings.prefixes()) {
            all.add(new Scopes.Kv(sourceClient, viaDc, dc, prefix, settings.excludes()));
        }
        all.add(new Scopes.Hosts(sourceClient, reach, viaDc, dc));
        for (String service : SERVICES) {
            all.add(new Scopes.Service(sourceClient, reach, viaDc, dc, service));
        }
        this.status = new SourceStatus(dc, all.stream().map(Scope::name).toList(), (key, json) -> {
            try {
                writer.put(fence, key, json);
            } catch (ReplicaWriter.LockLostException e) {
                metrics.fenced(dc);
                throw e;
            }
        }, settings.unreachableAfter());
        for (Scope scope : all) {
            scopes.add(new ScopeReplicator(dc, scope, destination, writer, fence, status, settings, metrics));
        }
    }

    /** The liveness beat of this source's status (written when due): see {@link SourceStatus#beat()}. */
    void beat() {
        status.beat();
    }

    SourceReplicator start() {
        status.announce();
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

    /**
     * Waits (up to {@code max}) for the scope threads to end after {@link #close()}: a lock handed
     * back only after its writers stopped has no write of ours landing behind the next holder's read.
     */
    boolean awaitStopped(java.time.Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        for (Thread thread : threads) {
            try {
                if (!thread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
