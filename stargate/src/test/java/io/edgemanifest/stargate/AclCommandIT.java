package io.edgemanifest.stargate;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.enrol.TokenFile;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code stargate acl init} and {@code stargate acl token create} against an ACL-enabled Consul. */
class AclCommandIT {

    private static final String PRIMARY = "aclcmd-primary";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY);

    @TempDir
    static Path dir;

    private static Path masterTokenFile;

    @BeforeAll
    static void writeMasterToken() {
        masterTokenFile = dir.resolve("master-token");
        TokenFile.write(masterTokenFile, agent().masterToken());
    }

    private static ConsulAgent agent() {
        return consul.datacenter(PRIMARY);
    }

    record Result(int code, String out, String err) {
    }

    private static Result stargate(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new StargateMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return new Result(cli.execute(args), out.toString(), err.toString());
    }

    private static Result acl(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "acl";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--consul";
        all[args.length + 2] = agent().httpUrl();
        all[args.length + 3] = "--token-file";
        all[args.length + 4] = masterTokenFile.toString();
        return stargate(all);
    }

    @Test
    void initCreatesEveryRolePolicyOnceAndUpdatesOneThatDrifted() {
        List<String> names = AclPolicies.roles(PRIMARY).stream().map(AclPolicies.PolicySpec::name).toList();
        Result first = acl("init");
        assertThat(first.code()).as(first.err()).isZero();
        // The primary datacenter was asked from the agent: the restricted policies exist only if it was right.
        assertThat(agent().get("/v1/acl/policy/name/" + AclPolicies.EXPLORER).orElseThrow()).contains(PRIMARY);
        Result second = acl("init");
        assertThat(second.out().lines()).containsExactlyElementsOf(names.stream().map(n -> n + ": unchanged").toList());

        agent().createPolicy(AclPolicies.GATEWAY, "key_prefix \"\" { policy = \"write\" }", List.of());
        Result third = acl("init", "--primary-datacenter", PRIMARY);
        assertThat(third.out().lines()).contains(AclPolicies.GATEWAY + ": updated", AclPolicies.STARGATE + ": unchanged");
        assertThat(agent().get("/v1/acl/policy/name/" + AclPolicies.GATEWAY).orElseThrow())
                .contains("manifest/gateways/").doesNotContain("key_prefix \\\"\\\" ");

        // An upgrade: the gateway policy of a release before draining (no read on host records) is
        // brought up to date in place, so existing gateway tokens can drain without being reissued.
        agent().createPolicy(AclPolicies.GATEWAY, """
                service "gateway" { policy = "write" }
                node_prefix "" { policy = "read" }
                session_prefix "" { policy = "write" }
                key_prefix "manifest/gateways/" { policy = "write" }
                """, List.of());
        Result upgrade = acl("init", "--primary-datacenter", PRIMARY);
        assertThat(upgrade.out().lines()).contains(AclPolicies.GATEWAY + ": updated");
        assertThat(agent().get("/v1/acl/policy/name/" + AclPolicies.GATEWAY).orElseThrow()).contains("manifest/hosts/");
    }

    @Test
    void tokenCreateWritesTheSecretOwnerOnlyAndPrintsOnlyTheAccessor() throws Exception {
        assertThat(acl("init").code()).isZero();
        Path out = dir.resolve("gateway-token");
        Result result = acl("token", "create", "--role", "gateway", "--out", out.toString());
        assertThat(result.code()).as(result.err()).isZero();
        String accessor = result.out().strip();
        assertThat(accessor).matches("[0-9a-f-]{36}");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");
        String secret = TokenFile.read(out).orElseThrow();
        assertThat(result.out() + result.err()).doesNotContain(secret);

        HttpResponse<String> self = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(agent().httpUrl() + "/v1/acl/token/self")).header("X-Consul-Token", secret).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(self.statusCode()).isEqualTo(200);
        assertThat(self.body()).contains(accessor, AclPolicies.GATEWAY);
    }

    @Test
    void badInputIsOneLineAndExit2() throws Exception {
        Path existing = Files.writeString(dir.resolve("existing"), "keep me\n");
        for (Result result : List.of(
                acl("token", "create", "--role", "root", "--out", dir.resolve("x").toString()),
                acl("token", "create", "--role", "gateway", "--out", existing.toString()),
                stargate("acl", "init", "--consul", agent().httpUrl()),
                stargate("acl"),
                stargate("host", "revoke", "not-a-host", "--consul", agent().httpUrl(), "--token-file", masterTokenFile.toString()))) {
            assertThat(result.code()).as(result.err()).isEqualTo(Cli.USAGE);
            assertThat(result.err().lines()).hasSize(1);
            assertThat(result.err()).doesNotContain("Exception");
        }
        assertThat(Files.readString(existing)).isEqualTo("keep me\n");
        assertThat(dir.resolve("x")).doesNotExist();
    }
}
