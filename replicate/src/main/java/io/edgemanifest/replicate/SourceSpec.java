package io.edgemanifest.replicate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import java.util.Optional;

/**
 * A Stargate datacenter to replicate: reached through the destination Consul's WAN federation
 * ({@code ?dc=<name>}) or, with a URL, directly.
 */
public record SourceSpec(String datacenter, Optional<ConsulEndpoint> direct) {

    public SourceSpec {
        if (datacenter == null || !datacenter.matches("[a-zA-Z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("invalid source datacenter '" + datacenter + "'");
        }
        direct = direct == null ? Optional.empty() : direct;
    }

    /** Parses {@code sg-a} or {@code sg-a=http://host:8500}. */
    /** Parses {@code sg-a} or {@code sg-a=http://host:8500}, with the token direct sources are read with. */
    public static SourceSpec parse(String text, ConsulToken token) {
        String trimmed = text == null ? "" : text.strip();
        int eq = trimmed.indexOf('=');
        if (eq < 0) {
            return new SourceSpec(trimmed, Optional.empty());
        }
        String name = trimmed.substring(0, eq).strip();
        String url = trimmed.substring(eq + 1).strip();
        if (name.isEmpty() || url.isEmpty()) {
            throw new IllegalArgumentException("invalid --source '" + text + "' (use NAME or NAME=http://host:port)");
        }
        return new SourceSpec(name, Optional.of(ConsulEndpoint.parse(url, token, null)));
    }
}
