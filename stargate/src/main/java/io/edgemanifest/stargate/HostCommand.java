package io.edgemanifest.stargate;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.stargate.enrol.EnrolmentStore;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import org.kiwiproject.consul.Consul;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code stargate host ...}: operations on enrolled hosts. */
@Command(name = "host", mixinStandardHelpOptions = true, subcommands = HostCommand.Revoke.class,
        description = "Operations on enrolled hosts.")
public final class HostCommand implements Runnable {

    /** Without a subcommand there is nothing to do: one line and exit 2, as for any bad input. */
    @Override
    public void run() {
        throw new IllegalArgumentException("missing subcommand (revoke; see --help)");
    }

    /**
     * {@code stargate host revoke <host-id>}: bans a host for good — deletes its tokens and policy,
     * removes its service (and so its session and key) from every datacenter's catalog, and marks
     * the ID revoked in every datacenter's {@code enrol/hosts/} so it can never enrol again.
     */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Bans a host: deletes its tokens and policy, deregisters it everywhere, and refuses its ID from now on.")
    static final class Revoke extends AdminCommand {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminOptions admin;

        @Parameters(index = "0", paramLabel = "HOST-ID", description = "The host's ID, host-<uuid>.")
        String hostId;

        @Override
        CommandSpec spec() {
            return spec;
        }

        @Override
        int run(PrintWriter out) {
            if (!NodeIdentity.isValid(hostId, NodeKind.HOST)) {
                throw new IllegalArgumentException("invalid host ID '" + hostId + "' (expected host-<uuid>)");
            }
            var endpoint = admin.endpoint();
            Consul consul = endpoint.client();
            try (AclAdmin acl = new AclAdmin(endpoint, consul)) {
                // The tombstones first: from this moment no Stargate enrols the ID again, whatever fails next.
                List<String> unmarked = EnrolmentStore.markRevokedEverywhere(consul, hostId, Instant.now());
                AclAdmin.Revocation revocation = acl.revokeHost(hostId);
                out.println("host " + hostId + ": " + revocation.deletedTokens().size() + " token(s) deleted, "
                        + "deregistered from " + (revocation.deregistered().isEmpty() ? "no catalog"
                        : String.join(", ", revocation.deregistered()))
                        + (revocation.policyDeleted() ? ", policy deleted" : ""));
                if (!revocation.complete() || !unmarked.isEmpty()) {
                    List<String> problems = new java.util.ArrayList<>(revocation.failures());
                    unmarked.forEach(dc -> problems.add("datacenter " + dc + ": revocation not recorded"));
                    spec.commandLine().getErr().println(spec.qualifiedName() + ": incomplete, run it again: "
                            + String.join("; ", problems));
                    return FAILED;
                }
                return 0;
            } finally {
                consul.destroy();
            }
        }
    }
}
