package io.edgemanifest.core.presence;

/** A presence step that Consul answered but did not allow; the loop retries. */
public final class PresenceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PresenceException(String message) {
        super(message);
    }

    public PresenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
