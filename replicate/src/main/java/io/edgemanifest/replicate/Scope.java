package io.edgemanifest.replicate;

import java.math.BigInteger;
import java.time.Duration;

/** One thing replicated from a source: a KV prefix or a service's instances. */
public interface Scope {

    /** For logs and metrics, e.g. {@code kv:manifest/} or {@code service:host}. */
    String name();

    /** The destination prefix this scope owns; everything under it is ours to write and delete. */
    String destinationPrefix();

    /**
     * Reads the whole scope, blocking up to {@code wait} for a change after {@code index}
     * ({@code 0} answers at once; {@code consistent} asks the leader for a consistent read).
     */
    Snapshot fetch(BigInteger index, Duration wait, boolean consistent);

    /**
     * Throws when this scope's token may not read at the source. Consul 1.8 filters what a token
     * may not read out of list answers without saying so (an "empty" source), but refuses a
     * single-key read with 403: asked before a mass deletion is applied, so a token that lost its
     * rights — revoked, local (stripped on {@code ?dc=}), or narrowed — never empties the replica.
     */
    default void checkAccess() {
    }

    /**
     * Of these source nodes, those whose services may still come back: alive (serfHealth passing)
     * or not in the catalog yet. After the source's servers lost their state, a service missing
     * on such a node has not been re-synced yet, it is not gone. Scopes without nodes: none.
     */
    default java.util.Set<String> awaitingResync(java.util.Collection<String> nodes) {
        return java.util.Set.of();
    }

    /** Whether an entry found under {@link #destinationPrefix()} belongs to this scope (several may share one). */
    default boolean owns(String key, Entry entry) {
        return key.startsWith(destinationPrefix());
    }
}
