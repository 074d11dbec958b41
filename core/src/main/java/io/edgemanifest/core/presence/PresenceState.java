package io.edgemanifest.core.presence;

/** Where a {@link Presence} stands. */
public enum PresenceState {
    /** Not yet present: registering, waiting for the check to pass, creating the session. */
    STARTING,
    /** Registered, check passing, record written under our session. */
    PRESENT,
    /** Consul does not answer; retrying with back-off. Consul will expire us if this lasts past the TTL. */
    UNREACHABLE,
    /** Consul answers but refuses a step (check not passing yet, key held elsewhere); retrying. */
    DEGRADED,
    /** Closed: session destroyed, service deregistered. */
    CLOSED
}
