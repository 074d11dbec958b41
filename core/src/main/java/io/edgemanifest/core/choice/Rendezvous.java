package io.edgemanifest.core.choice;

import com.google.common.hash.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Rendezvous (highest-random-weight) hashing: each client ranks every candidate by a hash of the
 * pair and takes the top one. Clients spread evenly; adding or removing one of n candidates moves
 * only about 1/n of the clients, and no coordination or shared state is needed.
 */
public final class Rendezvous {

    private Rendezvous() {
    }

    /** The candidate {@code client} picks, or empty when there is none. Deterministic. */
    public static Optional<String> choose(String client, Collection<String> candidates) {
        String best = null;
        long bestWeight = Long.MIN_VALUE;
        for (String candidate : candidates) {
            long weight = weight(client, candidate);
            if (best == null || weight > bestWeight || (weight == bestWeight && candidate.compareTo(best) < 0)) {
                best = candidate;
                bestWeight = weight;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Every candidate in the order {@code client} prefers them (first = {@link #choose}). Deterministic. */
    public static List<String> rank(String client, Collection<String> candidates) {
        List<String> ranked = new ArrayList<>(candidates);
        ranked.sort(Comparator.comparingLong((String c) -> weight(client, c)).reversed()
                .thenComparing(Comparator.naturalOrder()));
        return ranked;
    }

    static long weight(String client, String candidate) {
        return Hashing.murmur3_128().newHasher()
                .putString(client, StandardCharsets.UTF_8)
                .putByte((byte) 0)
                .putString(candidate, StandardCharsets.UTF_8)
                .hash().asLong();
    }
}
