package io.edgemanifest.core.enrol;

import java.util.Objects;

/** A failed enrolment call, with a one-line message fit for an operator's terminal. */
public final class EnrolmentException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why it failed, which decides what the caller does next. */
    public enum Kind {
        /** The Stargate said no (expired, used, wrong, unknown, malformed, already enrolled, revoked): retrying will not help. */
        REFUSED,
        /** The server is not the Stargate the join token pins: nothing was sent to it. */
        UNTRUSTED,
        /** No answer (down, unreachable, timed out): retrying later may help. */
        UNREACHABLE,
        /** The Stargate failed while handling the call (e.g. its Consul is down). */
        FAILED
    }

    private final Kind kind;

    public EnrolmentException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
        return kind;
    }
}
