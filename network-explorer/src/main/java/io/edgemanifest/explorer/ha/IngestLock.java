package io.edgemanifest.explorer.ha;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.ConsulResponse;
import org.kiwiproject.consul.model.agent.ImmutableRegCheck;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.model.session.ImmutableSession;
import org.kiwiproject.consul.option.QueryOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Consul side of ingest leadership, as replicate does it: this Explorer registers service
 * {@code network-explorer} with a TTL check, holds a session bound to that check and to its
 * agent's {@code serfHealth} ({@code delete}, lock delay 0), and takes the lock key with
 * {@code ?acquire}. When the holder dies its check goes critical after the TTL, Consul invalidates
 * the session and deletes the key, and a standby waiting on the key with a blocking query takes it.
 *
 * <p>serfHealth is bound too (unlike a host's session): an Explorer whose agent died keeps a
 * passing TTL check in the catalog, and its lock must still end. A flapping agent costs a hand-over,
 * never a second writer — the store's epoch fences that.
 */
final class IngestLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestLock.class);
    static final String SERVICE = "network-explorer";

    private final String id;
    private final String key;
    private final String value;
    private final Duration ttl;
    private final Consul consul;
    private final Consul watcher;
    private boolean registered;
    private String session;
    private BigInteger keyIndex = BigInteger.ZERO;

    /**
     * @param value what the key holds while we hold it (who and where: for operators)
     */
    IngestLock(ConsulEndpoint endpoint, String id, String key, Duration ttl, String value) {
        this.id = Objects.requireNonNull(id, "id");
        this.key = Objects.requireNonNull(key, "key");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.value = Objects.requireNonNull(value, "value");
        this.consul = endpoint.client(Duration.ofSeconds(Math.max(1, ttl.toSeconds() / 3)));
        this.watcher = endpoint.watchClient(ttl);
    }

    /**
     * Registers (once, and again after the agent forgot us), passes the check, and makes sure our
     * session exists.
     *
     * @return true when the session had to be created again: every lock it held is gone
     */
    boolean heartbeat() {
        if (!registered) {
            consul.agentClient().register(ImmutableRegistration.builder().id(id).name(SERVICE)
                    .check(ImmutableRegCheck.builder().ttl(ttl.toSeconds() + "s").deregisterCriticalServiceAfter("1m").build())
                    .build());
            registered = true;
        }
        try {
            consul.agentClient().passCheck("service:" + id);
        } catch (org.kiwiproject.consul.NotRegisteredException e) {
            // consul-client wraps every failure here; only an agent that forgot us needs a new registration.
            if (io.edgemanifest.core.consul.ConsulErrors.isUnknownCheck(e)) {
                registered = false;
            }
            throw new IllegalStateException("heartbeat failed: " + io.edgemanifest.core.Errors.rootMessage(e), e);
        }
        if (session != null && consul.sessionClient().getSessionInfo(session).isPresent()) {
            return false;
        }
        boolean lost = session != null;
        if (lost) {
            log.warn("{}: session {} is gone (our check went critical, or the agent failed)", id, session);
        }
        session = null;
        session = consul.sessionClient().createSession(ImmutableSession.builder().name(id).behavior("delete")
                .lockDelay("0s").addChecks("serfHealth", "service:" + id).build()).getId();
        return lost;
    }

    /** Takes the lock if it is free. */
    boolean tryAcquire() {
        return session != null && consul.keyValueClient().acquireLock(key, value, session);
    }

    /** Whether the key is held by our session now (a consistent read). */
    boolean holds() {
        Optional<Value> held = consul.keyValueClient().getValue(key, org.kiwiproject.consul.option.ImmutableQueryOptions.builder()
                .consistencyMode(org.kiwiproject.consul.option.ConsistencyMode.CONSISTENT).build());
        return session != null && held.flatMap(Value::getSession).filter(session::equals).isPresent();
    }

    /** The session holding the key, if any. */
    Optional<String> holder() {
        return consul.keyValueClient().getValue(key).flatMap(Value::getSession);
    }

    /**
     * Waits (blocking query) until the key changes or {@code max} passes, whichever first: a
     * standby sees the lock freed at once instead of on its next beat.
     */
    void awaitChange(Duration max) {
        int seconds = (int) Math.max(1, max.toSeconds());
        ConsulResponse<List<Value>> answer = watcher.keyValueClient().getConsulResponseWithValues(key,
                keyIndex.signum() == 0 ? QueryOptions.BLANK : QueryOptions.blockSeconds(seconds, keyIndex).build());
        BigInteger next = answer.getIndex() == null ? BigInteger.ZERO : answer.getIndex();
        keyIndex = next.compareTo(keyIndex) < 0 ? BigInteger.ZERO : next; // a rebuilt Consul starts over
    }

    /** Lets the lock go (others may take it at once). */
    void release() {
        if (session != null) {
            consul.keyValueClient().releaseLock(key, session);
        }
    }

    String session() {
        return session;
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                consul.sessionClient().destroySession(session); // the key goes at once: no TTL to wait out
            }
            consul.agentClient().deregister(id);
        } catch (RuntimeException e) {
            log.warn("{}: could not leave cleanly (the lock ends with the TTL check): {}", id, e.toString());
        } finally {
            consul.destroy();
            watcher.destroy();
        }
    }
}
