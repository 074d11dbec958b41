package io.edgemanifest.gateway;

import io.edgemanifest.core.drain.proto.DrainProgress;
import io.edgemanifest.core.drain.proto.DrainRequest;
import io.edgemanifest.core.drain.proto.GatewayAdminGrpc;
import io.edgemanifest.core.enrol.HostPort;
import io.edgemanifest.gateway.drain.DrainSecret;
import io.edgemanifest.gateway.drain.DrainStatus;
import io.edgemanifest.core.grpc.ClientCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code gateway drain --address host:port --state-dir DIR}: asks the gateway running on this machine
 * to drain (proving it may with the gateway's {@link DrainSecret}),
 * prints its progress and returns when it is drained (exit 0) or the drain ended otherwise (exit 1).
 * The gateway stays up, NOT_SERVING, until it is stopped ({@code systemctl stop}).
 */
@Command(name = "drain", mixinStandardHelpOptions = true,
        description = {"Drains the gateway running on this machine: NOT_SERVING, then waits until no host names it "
                + "(bounded by the gateway's --drain-timeout). The gateway stays up until stopped.",
                "Refused (exit 1, the gateway stays SERVING) when no other gateway passes.",
                "Exit 0: drained (or the other gateways failed meanwhile: the hosts have nowhere to go); 1: refused, "
                        + "timed out, cut short or no answer."})
public final class DrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--address", required = true, paramLabel = "HOST:PORT",
            description = "The gateway's gRPC address as dialled from this machine, e.g. 127.0.0.1:7100 "
                    + "(only this machine may drain it).")
    private String address;

    @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_STATE_DIR}",
            description = "The running gateway's state dir: its drain-secret (mode 0600) proves the caller may drain "
                    + "it, so run as root or as the gateway's user. Packaged: /var/lib/edge-manifest/gateway. "
                    + "Env EDGE_STATE_DIR.")
    private java.nio.file.Path stateDir;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "The gateway serves gRPC over TLS (--tls-cert): trust this PEM certificate authority.")
    private java.nio.file.Path caFile;

    @Option(names = "--authority", paramLabel = "NAME",
            description = "With --ca-file: the name the gateway's certificate carries (e.g. gw1.example.net) when "
                    + "--address dials it by another (127.0.0.1).")
    private String authority;

    @Override
    public Integer call() throws InterruptedException {
        HostPort target = HostPort.parse(address, "--address");
        if (stateDir == null) {
            throw new IllegalArgumentException("--state-dir is required (or EDGE_STATE_DIR): the running gateway's "
                    + "state dir, e.g. /var/lib/edge-manifest/gateway");
        }
        io.grpc.Metadata headers = new io.grpc.Metadata();
        headers.put(DrainSecret.HEADER, DrainSecret.read(stateDir));
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        io.grpc.ManagedChannelBuilder<?> builder = Grpc.newChannelBuilderForAddress(target.host(), target.port(), ClientCredentials.trusting(caFile));
        if (authority != null && !authority.isBlank()) {
            builder.overrideAuthority(authority);
        }
        ManagedChannel channel = builder.build();
        try {
            // No deadline of ours: the gateway bounds the drain by its --drain-timeout and ends the stream.
            Iterator<DrainProgress> progress = GatewayAdminGrpc.newBlockingStub(channel)
                    .withInterceptors(io.grpc.stub.MetadataUtils.newAttachHeadersInterceptor(headers)).drain(DrainRequest.getDefaultInstance());
            DrainProgress last = null;
            while (progress.hasNext()) {
                last = progress.next();
                out.println(status(last).describe(last.getGatewayId()));
                out.flush();
            }
            if (last == null) {
                err.println("drain: the gateway at " + target + " ended the drain without a word");
                err.flush();
                return 1;
            }
            return switch (last.getOutcome()) {
                case DRAINED, NOWHERE_TO_GO -> 0;
                case REFUSED -> {
                    err.println("drain: refused: " + last.getGatewayId() + " is the only passing gateway; it stays "
                            + "SERVING (start another gateway first, or stop it: a stop drains anyway)");
                    err.flush();
                    yield 1;
                }
                default -> {
                    err.println("drain: not drained (" + last.getOutcome() + "): " + last.getAttachedHosts()
                            + " hosts still name " + last.getGatewayId());
                    err.flush();
                    yield 1;
                }
            };
        } catch (StatusRuntimeException e) {
            String description = e.getStatus().getDescription();
            err.println(("drain: no drain from gateway at " + target + ": " + e.getStatus().getCode()
                    + (description == null ? "" : " (" + description + ")")).replaceAll("\\s+", " ").strip());
            err.flush();
            return 1;
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static DrainStatus status(DrainProgress p) {
        DrainStatus.Outcome outcome = p.getOutcome() == DrainProgress.Outcome.UNRECOGNIZED
                ? DrainStatus.Outcome.ABORTED : DrainStatus.Outcome.valueOf(p.getOutcome().name());
        return new DrainStatus(outcome, p.getAttachedHosts(), p.getOtherPassingGateways(), Duration.ofMillis(p.getElapsedMs()));
    }
}
