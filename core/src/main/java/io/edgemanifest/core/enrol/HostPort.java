package io.edgemanifest.core.enrol;

/**
 * A TCP address as operators write it on a command line: {@code host:port} or {@code [v6-address]:port}.
 *
 * @param host a name or an address, without brackets
 */
public record HostPort(String host, int port) {

    public HostPort {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("invalid address: empty host");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("invalid port " + port + ": must be 1 to 65535");
        }
    }

    /**
     * Parses {@code text} given for {@code flag}.
     *
     * @throws IllegalArgumentException naming the flag and the value
     */
    public static HostPort parse(String text, String flag) {
        String bad = "invalid " + flag + " '" + text + "': expected host:port, e.g. 127.0.0.1:7443";
        int colon = text == null ? -1 : text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(bad);
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            // An unbracketed IPv6 address: which colon starts the port is ambiguous.
            throw new IllegalArgumentException(bad);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad);
        }
        if (host.isBlank() || port < 1 || port > 65_535) {
            throw new IllegalArgumentException(bad);
        }
        return new HostPort(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
