package io.edgemanifest.replicate;

/**
 * One replicated entry as written to the destination: the value is kept base64-encoded exactly as
 * Consul returns it, so bytes are copied without ever being decoded (values are opaque).
 */
public record Entry(String base64Value, long flags) {

    public Entry {
        base64Value = base64Value == null ? "" : base64Value;
    }
}
