package io.edgemanifest.stargate;

import io.edgemanifest.core.enrol.EnrolmentClient;
import io.edgemanifest.core.enrol.EnrolmentException;
import io.edgemanifest.core.enrol.HostPort;
import io.edgemanifest.core.enrol.PinnedTrustManager;
import io.edgemanifest.core.enrol.TokenFile;
import io.edgemanifest.core.enrol.proto.CreateJoinTokenReply;
import io.edgemanifest.stargate.enrol.EnrolmentCa;
import io.edgemanifest.stargate.enrol.EnrolmentServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stargate enrol-token ...}: join tokens for hosts. */
@Command(name = "enrol-token", mixinStandardHelpOptions = true, subcommands = EnrolTokenCommand.Create.class,
        description = "Join tokens, with which hosts enrol at this Stargate.")
public final class EnrolTokenCommand implements Runnable {

    /** Without a subcommand there is nothing to do: one line and exit 2, as for any bad input. */
    @Override
    public void run() {
        throw new IllegalArgumentException("missing subcommand (create; see --help)");
    }

    /**
     * {@code stargate enrol-token create}: asks the running Stargate for a join token. Runs on the
     * Stargate machine: it reads the admin secret and the CA certificate from the Stargate's state
     * dir, and dials the enrolment endpoint over TLS pinned to that CA. Prints the join token on its
     * last line and nothing secret elsewhere, so {@code | tail -1} captures it.
     */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a join token (printed on the last line) at the Stargate whose --state-dir this is.")
    static final class Create extends AdminCommand {
        @Spec
        CommandSpec spec;

        @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:EDGE_STATE_DIR}",
                description = "The running Stargate's state dir (admin-secret, tls/ca.pem, enrol-address). Env EDGE_STATE_DIR.")
        Path stateDir;

        @Option(names = "--address", paramLabel = "HOST:PORT",
                description = "The Stargate's enrolment endpoint. Default: <state-dir>/enrol-address.")
        String address;

        @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1h",
                description = "How long the join token may be used (at most 7d). Default: ${DEFAULT-VALUE}")
        Duration ttl;

        @Option(names = "--uses", paramLabel = "N", defaultValue = "1",
                description = "How many hosts may enrol with it. Default: ${DEFAULT-VALUE}")
        int uses;

        @Override
        CommandSpec spec() {
            return spec;
        }

        @Override
        int run(PrintWriter out) {
            if (stateDir == null) {
                throw new IllegalArgumentException("--state-dir is required (or EDGE_STATE_DIR)");
            }
            if (ttl.isNegative() || ttl.isZero() || ttl.toSeconds() < 1) {
                throw new IllegalArgumentException("invalid --ttl '" + ttl + "': at least 1s");
            }
            if (uses < 1) {
                throw new IllegalArgumentException("invalid --uses " + uses + ": at least 1");
            }
            HostPort target = HostPort.parse(address != null ? address : readAddress(), "--address");
            String pin = PinnedTrustManager.pinOf(EnrolmentCa.certificateIn(stateDir));
            Path secretFile = stateDir.resolve(EnrolmentServer.ADMIN_SECRET_FILE);
            String adminSecret = TokenFile.read(secretFile).orElseThrow(() -> new IllegalArgumentException(
                    "no " + secretFile + ": is the Stargate running with this --state-dir?"));
            try (EnrolmentClient client = EnrolmentClient.connect(target, pin)) {
                CreateJoinTokenReply reply = client.createJoinToken(adminSecret, ttl, uses);
                out.println("join token " + reply.getTokenId() + " for datacenter " + reply.getDatacenter() + ": "
                        + uses + " use(s), expires " + Instant.ofEpochSecond(reply.getExpiresAtEpochSeconds()));
                out.println(reply.getJoinToken());
                return 0;
            } catch (EnrolmentException e) {
                if (e.kind() == EnrolmentException.Kind.REFUSED || e.kind() == EnrolmentException.Kind.UNTRUSTED) {
                    throw new IllegalArgumentException(e.getMessage());
                }
                throw e;
            }
        }

        private String readAddress() {
            Path file = stateDir.resolve(EnrolmentServer.ADDRESS_FILE);
            return TokenFile.read(file).orElseThrow(() -> new IllegalArgumentException(
                    "no --address and no " + file + ": is the Stargate running with this --state-dir?"));
        }
    }
}
