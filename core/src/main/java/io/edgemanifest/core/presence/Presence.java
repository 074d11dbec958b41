package io.edgemanifest.core.presence;

import io.edgemanifest.core.node.NodeRecord;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Keeps one node present in one Consul datacenter: a service with a check, a session bound to that
 * check, and the node's record written under the session at {@code manifest/<kind>s/<id>}. It heals
 * itself (re-register, new session, rewrite) and never gives up while open; see "the life of a
 * node" in the design. Modelled on Apache Curator's {@code PersistentNode}.
 */
public interface Presence extends AutoCloseable {

    /**
     * A presence running its loop on {@code scheduler} (shared by many presences in one JVM; none of
     * them blocks it for longer than one Consul request).
     */
    static Presence create(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler) {
        return new ConsulPresence(config, record, scheduler, null);
    }

    /**
     * A presence whose requests go through {@code sharedClient} (one connection pool for many
     * presences of one JVM, e.g. virtual hosts; Consul caps connections per client address). The
     * caller owns the client and destroys it after closing the presences; its read timeout should
     * be {@link PresenceConfig#requestTimeout()}.
     */
    static Presence create(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler,
                           org.kiwiproject.consul.Consul sharedClient) {
        return new ConsulPresence(config, record, scheduler, java.util.Objects.requireNonNull(sharedClient, "sharedClient"));
    }

    /**
     * A presence measuring its intervals on {@code ticker}'s monotonic clock (tests inject one whose
     * wall clock steps); {@code sharedClient} may be null for a client of its own.
     */
    static Presence create(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler,
                           org.kiwiproject.consul.Consul sharedClient, io.edgemanifest.core.time.Ticker ticker) {
        return new ConsulPresence(config, record, scheduler, sharedClient, ticker, null);
    }

    /**
     * As above, and told by {@code sessionWatch} (one per agent, shared by the presences of this
     * JVM; null for none) the moment its session vanishes, so it re-creates session and record at
     * once rather than at its next key read.
     */
    static Presence create(PresenceConfig config, NodeRecord record, ScheduledExecutorService scheduler,
                           org.kiwiproject.consul.Consul sharedClient, io.edgemanifest.core.time.Ticker ticker,
                           io.edgemanifest.core.consul.SessionWatch sessionWatch) {
        return new ConsulPresence(config, record, scheduler, sharedClient, ticker, sessionWatch);
    }

    /** Starts the loop; returns at once. */
    Presence start();

    /** Changes the record; it is rewritten (and the service meta re-registered) on the next tick, at once. */
    void update(UnaryOperator<NodeRecord> change);

    /** The record as last asked for (with the datacenter once known). */
    NodeRecord record();

    PresenceState state();

    /** The datacenter of the Consul agent, once it answered. */
    Optional<String> datacenter();

    /** The current session, if any. */
    Optional<String> sessionId();

    /**
     * How long Consul has been unreachable, or has refused us (403), without interruption; zero
     * while it answers. A host moves to its next agent or datacenter after {@code --migrate-after}.
     */
    Duration unreachableFor();

    /**
     * Registers the service again on the next tick, at once, with the token in force now (after a
     * rotation: the agent keeps the token a service was registered with and syncs it with that one,
     * so the old token can be deleted only once this completed). Key and session are untouched.
     */
    java.util.concurrent.CompletableFuture<Void> reRegister();

    /** Called (on the loop thread) at every state change; a failing listener is logged and ignored. */
    void onStateChange(Consumer<PresenceState> listener);

    /**
     * The node is on its way out (a gateway draining, NOT_SERVING on purpose): the loop stops, so
     * the session Consul invalidates with the failing check is neither counted as lost nor
     * re-created against a critical check. {@link #close()} still leaves as always. Idempotent.
     */
    void leaving();

    /** Destroys the session (the key vanishes at once) and deregisters the service. Idempotent. */
    @Override
    void close();
}
