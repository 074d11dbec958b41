package io.edgemanifest.packaging;

import java.nio.file.Path;
import java.util.List;

/** A program shipped as a Debian package: what {@code packaging/pom.xml} builds for it. */
enum Role {
    HOST_AGENT("host-agent", List.of()),
    GATEWAY("gateway", List.of("core/src/main/java/io/edgemanifest/core/cli/NodeOptions.java")),
    STARGATE("stargate", List.of("core/src/main/java/io/edgemanifest/core/cli/NodeOptions.java")),
    REPLICATE("replicate", List.of()),
    NETWORK_EXPLORER("network-explorer", List.of());

    /** Every role reads its Consul token through these options. */
    static final String TOKEN_OPTIONS = "core/src/main/java/io/edgemanifest/core/cli/TokenOptions.java";

    final String name;
    /** Sources outside the role's module whose options the role's command mixes in. */
    final List<String> sharedOptionSources;

    Role(String name, List<String> sharedOptionSources) {
        this.name = name;
        this.sharedOptionSources = sharedOptionSources;
    }

    String packageName() {
        return "edge-" + name;
    }

    String unit() {
        return "edge-" + name + ".service";
    }

    String user() {
        return "_edge-" + name;
    }

    /** Paths inside the package (and inside a tree it was unpacked to), without the leading '/'. */
    String jarPath() {
        return "usr/share/edge-manifest/" + name + "/" + name + ".jar";
    }

    String launcherPath() {
        return "usr/bin/edge-" + name;
    }

    String unitPath() {
        return "lib/systemd/system/" + unit();
    }

    String envPath() {
        return "etc/edge-manifest/" + name + ".env";
    }

    Path launcherIn(Path tree) {
        return tree.resolve(launcherPath());
    }
}
