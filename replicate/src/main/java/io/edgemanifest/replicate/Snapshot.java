package io.edgemanifest.replicate;

import java.math.BigInteger;
import java.util.Map;

/**
 * The complete content of one scope at a source, keyed by destination key, and the Consul index it
 * was read at; {@code lastContactMillis} is how long the answering server had been out of touch with
 * its leader ({@code X-Consul-LastContact}, 0 for the leader or a consistent read).
 */
public record Snapshot(Map<String, Entry> entries, BigInteger index, long lastContactMillis) {

    public Snapshot {
        entries = Map.copyOf(entries);
    }

    public Snapshot(Map<String, Entry> entries, BigInteger index) {
        this(entries, index, 0);
    }
}
