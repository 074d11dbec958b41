package io.edgemanifest.replicate;

import java.math.BigInteger;
import java.util.Map;

/**
 * The complete content of one scope at a source, keyed by destination key, and the Consul index it
 * was read at.
 */
public record Snapshot(Map<String, Entry> entries, BigInteger index) {

    public Snapshot {
        entries = Map.copyOf(entries);
    }
}
