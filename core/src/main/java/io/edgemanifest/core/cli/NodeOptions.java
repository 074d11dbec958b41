package io.edgemanifest.core.cli;

import io.edgemanifest.core.consul.ConsulEndpoint;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Flags every gRPC node (gateway, stargate) shares; mixed into their commands. */
public final class NodeOptions {

    @Option(names = "--consul", paramLabel = "URL", defaultValue = "${env:EDGE_CONSUL:-http://127.0.0.1:8500}",
            description = "Consul HTTP API of this node's datacenter. Env EDGE_CONSUL. Default: ${DEFAULT-VALUE}")
    public String consul;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_STATE_DIR}",
            description = "Where the node keeps its ID (required). Env EDGE_STATE_DIR.")
    public Path stateDir;

    @Mixin
    public TokenOptions tokens;

    @Option(names = "--grpc-port", paramLabel = "PORT", defaultValue = "${env:EDGE_GRPC_PORT:-0}",
            description = "gRPC port to listen on (0: any free port). Env EDGE_GRPC_PORT. Default: ${DEFAULT-VALUE}")
    public int grpcPort;

    @Option(names = "--bind", paramLabel = "HOST", defaultValue = "${env:EDGE_BIND:-127.0.0.1}",
            description = "Address the gRPC server binds. Env EDGE_BIND. Default: ${DEFAULT-VALUE}")
    public String bind;

    @Option(names = "--advertise", paramLabel = "HOST[:PORT]", defaultValue = "${env:EDGE_ADVERTISE}",
            description = "Address Consul and clients use to reach this node (default: the bind address and bound port).")
    public String advertise;

    @Option(names = "--tls-cert", paramLabel = "FILE", defaultValue = "${env:EDGE_TLS_CERT}",
            description = "Serve gRPC over TLS with this PEM certificate chain (with --tls-key); Consul's health probe then uses TLS. Env EDGE_TLS_CERT.")
    public Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", defaultValue = "${env:EDGE_TLS_KEY}",
            description = "The PEM (PKCS#8) private key of --tls-cert. Env EDGE_TLS_KEY.")
    public Path tlsKey;

    @Option(names = "--tls-check-skip-verify", defaultValue = "${env:EDGE_TLS_CHECK_SKIP_VERIFY:-false}",
            description = "Consul's TLS health probe does not verify our certificate (when it is not from a CA in Consul's own ca_file).")
    public boolean tlsCheckSkipVerify;

    @Option(names = "--deregister-after", paramLabel = "DURATION", defaultValue = "${env:EDGE_DEREGISTER_AFTER:-1m}",
            description = "Consul removes the service this long after its check went critical (min 1m). Default: ${DEFAULT-VALUE}")
    public Duration deregisterAfter;

    /** The state dir; not a picocli {@code required} option, so subcommands such as {@code status} work without it. */
    public Path stateDir() {
        if (stateDir == null) {
            throw new IllegalArgumentException("--state-dir is required (or EDGE_STATE_DIR)");
        }
        return stateDir;
    }

    /** Where the gRPC server listens, with TLS when --tls-cert/--tls-key are given. */
    public io.edgemanifest.core.grpc.HealthServer.Config serverConfig() {
        return new io.edgemanifest.core.grpc.HealthServer.Config(bind, grpcPort, tlsCert, tlsKey);
    }

    public ConsulEndpoint endpoint() {
        return ConsulEndpoint.parse(consul, tokens.token(), tokens.consulCaFile);
    }

    /** The host part of --advertise, or the bind address. */
    public String advertiseHost() {
        if (advertise == null || advertise.isBlank()) {
            return bind;
        }
        String host = advertise.contains(":") ? advertise.substring(0, advertise.lastIndexOf(':')) : advertise;
        if (host.isBlank()) {
            throw new IllegalArgumentException("invalid --advertise '" + advertise + "' (use host[:port])");
        }
        return host;
    }

    /** The port part of --advertise (behind NAT it may differ from the listening port), or null. */
    public Integer advertisePort() {
        if (advertise == null || !advertise.contains(":")) {
            return null;
        }
        String port = advertise.substring(advertise.lastIndexOf(':') + 1);
        try {
            int p = Integer.parseInt(port);
            if (p < 1 || p > 65_535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid --advertise '" + advertise + "' (use host[:port])");
        }
    }
}
