package io.edgemanifest.stargate;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.enrol.TokenFile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code stargate acl ...}: Consul ACL administration with an operator's (management) token. */
@Command(name = "acl", mixinStandardHelpOptions = true,
        subcommands = {AclCommand.Init.class, AclCommand.Token.class},
        description = "Consul ACL administration: role policies and role tokens.")
public final class AclCommand implements Runnable {

    /** Without a subcommand there is nothing to do: one line and exit 2, as for any bad input. */
    @Override
    public void run() {
        throw new IllegalArgumentException("missing subcommand (init or token; see --help)");
    }

    /** {@code stargate acl init}: creates or updates every role policy; running it again changes nothing. */
    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Creates (or updates) the Consul ACL policy of every role; idempotent.")
    static final class Init extends AdminCommand {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminOptions admin;

        @Option(names = "--primary-datacenter", paramLabel = "NAME", defaultValue = "${env:EDGE_PRIMARY_DATACENTER}",
                description = "The primary (ACL, Explorer) datacenter. Default: asked from the Consul agent.")
        String primaryDatacenter;

        @Override
        CommandSpec spec() {
            return spec;
        }

        @Override
        int run(PrintWriter out) {
            try (AclAdmin acl = new AclAdmin(admin.endpoint())) {
                String primary = primaryDatacenter == null || primaryDatacenter.isBlank()
                        ? acl.primaryDatacenter() : primaryDatacenter.strip();
                for (AclAdmin.PolicyChange change : acl.ensurePolicies(AclPolicies.roles(primary))) {
                    out.println(change.name() + ": " + change.outcome().name().toLowerCase(java.util.Locale.ROOT));
                }
                return 0;
            }
        }
    }

    /** {@code stargate acl token ...}. */
    @Command(name = "token", mixinStandardHelpOptions = true, subcommands = TokenCreate.class,
            description = "Role tokens.")
    static final class Token implements Runnable {
        @Override
        public void run() {
            throw new IllegalArgumentException("missing subcommand (create; see --help)");
        }
    }

    /**
     * {@code stargate acl token create --role R --out FILE}: a global token for a role, its secret
     * written to FILE (mode 0600) and only its accessor ID printed — the secret never reaches a
     * terminal, a shell history or a log.
     */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Creates a token for a role; writes its secret to --out (mode 0600) and prints its accessor ID.")
    static final class TokenCreate extends AdminCommand {
        @Spec
        CommandSpec spec;

        @Mixin
        AdminOptions admin;

        @Option(names = "--role", required = true, paramLabel = "ROLE",
                description = "stargate, gateway, replicate or explorer.")
        String role;

        @Option(names = "--out", required = true, paramLabel = "FILE",
                description = "Where to write the token's secret (mode 0600); must not exist.")
        Path out;

        @Override
        CommandSpec spec() {
            return spec;
        }

        @Override
        int run(PrintWriter stdout) {
            AclPolicies.Role parsed = AclPolicies.Role.parse(role);
            if (Files.exists(out)) {
                // It may hold a token still in use: overwriting would lose the only copy of its secret.
                throw new IllegalArgumentException("--out " + out + " exists: choose another file or remove it");
            }
            try (AclAdmin acl = new AclAdmin(admin.endpoint())) {
                List<String> policies = AclPolicies.policyNames(parsed);
                for (String policy : policies) {
                    if (!acl.policyExists(policy)) {
                        throw new IllegalArgumentException("policy " + policy + " does not exist: run 'stargate acl init' first");
                    }
                }
                // Global: a replicate token is sent to other datacenters, where a local one would be anonymous.
                AclAdmin.IssuedToken token = acl.createToken("Edge Manifest " + parsed.cliName(), policies, false);
                try {
                    TokenFile.write(out, token.secretId());
                } catch (RuntimeException e) {
                    acl.deleteToken(token.accessorId()); // nobody holds its secret: it must not linger
                    throw e;
                }
                stdout.println(token.accessorId());
                return 0;
            }
        }
    }
}
