package io.edgemanifest.stargate;

import io.edgemanifest.core.cli.TokenOptions;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.TokenCheck;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Flags of the administration subcommands ({@code acl}, {@code host revoke}): which Consul, and
 * the operator's token — from a file or EDGE_TOKEN, never an argument.
 */
public final class AdminOptions {

    @Option(names = "--consul", paramLabel = "URL", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "Consul HTTP API (any datacenter: ACL writes go to the primary). Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    String consul;

    @Mixin
    TokenOptions tokens;

    /** The endpoint, with the token checked: none or an unknown one is one line and exit 2. */
    ConsulEndpoint endpoint() {
        ConsulEndpoint endpoint = ConsulEndpoint.parse(consul, tokens.token(), tokens.consulCaFile);
        TokenCheck.require(endpoint, tokens.source());
        return endpoint;
    }
}
