package io.edgemanifest.stargate;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.stargate.enrol.HostRevocation;
import java.io.PrintWriter;
import java.time.Instant;
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
     * {@code stargate host revoke <host-id>}: bans a host for good, in an order that leaves it no
     * window: (1) marks the ID revoked in every datacenter's {@code enrol/hosts/} (check-and-set), so
     * from then on no Stargate enrols, rotates or confirms for it; (2) empties its policy, so every
     * token carrying it — one a racing rotation mints included — loses all rights at once; (3)
     * deletes its tokens; (4) removes its service (and so its session and key) from every
     * datacenter's catalog. The emptied policy is kept as the ID's tombstone in the ACL system,
     * which every datacenter, present and future, consults. Safe to run again: it says what is left.
     */
    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Bans a host: refuses its ID from now on, empties its policy (kept as a tombstone), "
                    + "deletes its tokens and deregisters it everywhere.")
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
                HostRevocation done = HostRevocation.revoke(consul, acl, hostId, Instant.now());
                AclAdmin.Revocation revocation = done.acl();
                out.println("host " + hostId + ": " + (revocation.tombstoned() ? "policy emptied (kept as tombstone)"
                        : "policy NOT emptied") + ", " + revocation.deletedTokens().size() + " token(s) deleted, "
                        + "deregistered from " + (revocation.deregistered().isEmpty() ? "no catalog"
                        : String.join(", ", revocation.deregistered())));
                if (!done.complete()) {
                    spec.commandLine().getErr().println(spec.qualifiedName() + ": incomplete, run it again; left: "
                            + String.join("; ", done.left()));
                    return FAILED;
                }
                return 0;
            } finally {
                consul.destroy();
            }
        }
    }
}
