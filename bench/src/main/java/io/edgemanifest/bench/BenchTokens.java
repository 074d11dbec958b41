package io.edgemanifest.bench;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.testing.ConsulAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;

/**
 * Tokens for benchmarks under ACLs, made with the management token of the ACL primary: a host
 * token each (its ID and token left in each virtual host's state dir, where host-agent finds a
 * stored token as after enrolment) and role tokens in owner-only files.
 */
final class BenchTokens {

    private BenchTokens() {
    }

    /** N virtual hosts' IDs and tokens, valid in {@code datacenters}, under {@code hostsDir/sim-<i>}. */
    static void provisionHosts(ConsulAgent primary, Path hostsDir, int n, List<String> datacenters) throws IOException {
        long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            provisionHost(primary, hostsDir.resolve("sim-" + i), datacenters);
        }
        System.err.printf("bench: %d host tokens made in %.1f s%n", n, (System.nanoTime() - started) / 1e9);
    }

    /** One host's ID and token in its state dir. */
    static void provisionHost(ConsulAgent primary, Path stateDir, List<String> datacenters) throws IOException {
        Path dir = Files.createDirectories(stateDir);
        String id = "host-" + UUID.randomUUID();
        Files.writeString(dir.resolve("node-id"), id + "\n");
        AclPolicies.PolicySpec policy = AclPolicies.host(id, datacenters);
        write(dir.resolve("consul-token"), primary.createToken(policy.name(), policy.rules(), policy.datacenters()));
    }

    /** The role policies, once per datacenter group. */
    static void rolePolicies(ConsulAgent primary) {
        for (AclPolicies.PolicySpec policy : AclPolicies.roles(primary.datacenter())) {
            primary.createPolicy(policy.name(), policy.rules(), policy.datacenters());
        }
    }

    /** A token of {@code role} in an owner-only file under {@code dir}. */
    static Path roleToken(ConsulAgent primary, AclPolicies.Role role, Path dir) throws IOException {
        Files.createDirectories(dir);
        return write(dir.resolve(role.cliName() + ".token"), primary.createToken(AclPolicies.policyNames(role)));
    }

    private static Path write(Path file, String token) throws IOException {
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }
}
