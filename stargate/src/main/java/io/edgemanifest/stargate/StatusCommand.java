package io.edgemanifest.stargate;

import io.edgemanifest.core.enrol.HostPort;
import io.edgemanifest.core.grpc.ClientCredentials;
import io.edgemanifest.stargate.v1.StargateGrpc;
import io.edgemanifest.stargate.v1.StatusReply;
import io.edgemanifest.stargate.v1.StatusRequest;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stargate status --address host:port}: asks a running Stargate for its datacenter's numbers. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Asks a running Stargate for its datacenter's status and prints it.")
public final class StatusCommand implements Callable<Integer> {

    /** How long a call may take before we give up on the Stargate. */
    static final long DEADLINE_SECONDS = 5;

    @Spec
    private CommandSpec spec;

    @Option(names = "--address", required = true, paramLabel = "HOST:PORT",
            description = "The Stargate's gRPC address, e.g. 127.0.0.1:7400.")
    private String address;

    @Option(names = "--ca-file", paramLabel = "FILE",
            description = "The Stargate serves gRPC over TLS (--tls-cert): trust this PEM certificate authority.")
    private java.nio.file.Path caFile;

    @Override
    public Integer call() throws InterruptedException {
        // Parsed here rather than by a picocli converter so the message is ours, and Cli maps
        // the IllegalArgumentException to one line and exit code 2.
        HostPort target = HostPort.parse(address, "--address");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(target.host(), target.port(), ClientCredentials.trusting(caFile)).build();
        try {
            StatusReply reply = StargateGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
                    .status(StatusRequest.getDefaultInstance());
            out.println("stargate: " + reply.getStargateId());
            out.println("datacenter: " + reply.getDatacenter());
            out.println("passing hosts: " + reply.getPassingHosts());
            out.println("passing gateways: " + reply.getPassingGateways());
            out.println("sessions: " + reply.getSessions());
            out.flush();
            return 0;
        } catch (StatusRuntimeException e) {
            err.println("status: no answer from stargate at " + target + ": " + oneLine(e));
            err.flush();
            return 1;
        } finally {
            channel.shutdownNow();
            channel.awaitTermination(DEADLINE_SECONDS, TimeUnit.SECONDS);
        }
    }

    private static String oneLine(StatusRuntimeException e) {
        String description = e.getStatus().getDescription();
        String text = e.getStatus().getCode() + (description == null ? "" : " (" + description + ")");
        return text.replaceAll("\\s+", " ").strip();
    }
}
