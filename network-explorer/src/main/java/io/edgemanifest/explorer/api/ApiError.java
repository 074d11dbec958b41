package io.edgemanifest.explorer.api;

/** A client error answered as {@code {"error": "..."}} with a 4xx status. */
public final class ApiError extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int status;

    public ApiError(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static ApiError badParameter(String name, String value, String expected) {
        return new ApiError(400, "invalid parameter '" + name + "': '" + value + "' (" + expected + ")");
    }
}
