package io.edgemanifest.stargate;

/** Where {@link StargateStatusService} gets its numbers; Consul in production, fixed in tests. */
@FunctionalInterface
public interface StatusSource {

    /**
     * Reads the current numbers.
     *
     * @throws RuntimeException when they cannot be read (e.g. Consul is unreachable)
     */
    StatusSnapshot snapshot();
}
