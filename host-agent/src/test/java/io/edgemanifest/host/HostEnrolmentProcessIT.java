package io.edgemanifest.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.enrol.HostEnrolment;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.stargate.Stargate;
import io.edgemanifest.stargate.StargateMain;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import io.edgemanifest.testing.RunnableJar;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code host-agent --enrol} as a node operator runs it — the real jar as a process — against a
 * real Stargate and ACL-enabled Consul: enrol once, stay present with its own token, reuse it after
 * a restart; a spent join token is one line and exit 2 with nothing written.
 */
class HostEnrolmentProcessIT {

    private static final String PRIMARY = "hostenrol-primary";
    private static final String STARGATE_DC = "hostenrol-sg";

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY, STARGATE_DC);

    @TempDir
    static Path dir;

    private static Stargate stargate;
    private static Path stargateState;
    private final RunnableJar jar = RunnableJar.of("host-agent");

    @BeforeAll
    static void startStargate() {
        ConsulAgent primary = consul.datacenter(PRIMARY);
        String token;
        try (AclAdmin admin = new AclAdmin(ConsulEndpoint.parse(primary.httpUrl(), primary.masterToken()))) {
            admin.ensurePolicies(AclPolicies.roles(PRIMARY));
            token = admin.createToken("test stargate", AclPolicies.policyNames(AclPolicies.Role.STARGATE), false).secretId();
        }
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg().httpUrl(), token);
        TokenCheck.require(endpoint, "test");
        stargateState = dir.resolve("stargate");
        stargate = new Stargate(new Stargate.StargateConfig(endpoint, STARGATE_DC, stargateState, "127.0.0.1", 0,
                "127.0.0.1", null, Duration.ofMinutes(1), "test", 0, null)).start();
    }

    @AfterAll
    static void stop() {
        RunnableJar.reap();
        if (stargate != null) {
            stargate.close();
        }
    }

    private static ConsulAgent sg() {
        return consul.datacenter(STARGATE_DC);
    }

    private static Path joinTokenFile(String name) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine cli = Cli.commandLine(new StargateMain());
        cli.setOut(new PrintWriter(out, true));
        assertThat(cli.execute("enrol-token", "create", "--state-dir", stargateState.toString())).isZero();
        return Files.writeString(dir.resolve(name), out.toString().lines().toList().getLast() + "\n");
    }

    private Process startHost(Path stateDir, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("--consul", sg().httpUrl(), "--state-dir", stateDir.toString(),
                "--ttl", "3s"));
        args.addAll(List.of(extra));
        return jar.start(Path.of("target", "process-logs", "host-enrol-" + Instant.now().toEpochMilli() + ".log"),
                args.toArray(String[]::new));
    }

    private static boolean present(String hostId) {
        try {
            String body = sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId)).orElse("[]");
            return new ObjectMapper().readTree(body).path(0).path("Session").asText().length() > 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aHostEnrolsOnceStaysPresentWithItsOwnTokenAndReusesItAfterARestart() throws Exception {
        Path stateDir = dir.resolve("host-a");
        Path join = joinTokenFile("join-a");
        String address = "127.0.0.1:" + stargate.enrolPort();
        Process host = startHost(stateDir, "--enrol", address, "--join-token-file", join.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(stateDir.resolve("node-id")));
        String hostId = Files.readString(stateDir.resolve("node-id")).strip();
        await().atMost(Duration.ofSeconds(30)).until(() -> present(hostId));
        Path tokenFile = stateDir.resolve(HostEnrolment.TOKEN_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
        // Its own service name, registered with its own token.
        assertThat(sg().get("/v1/health/service/" + hostId + "?passing").orElseThrow()).contains(hostId);

        host.destroy();
        assertThat(host.waitFor(20, TimeUnit.SECONDS)).isTrue();
        await().atMost(Duration.ofSeconds(10)).until(() -> !present(hostId));

        // Restarted without the join token (now spent): the stored token is used.
        Files.delete(join);
        Process again = startHost(stateDir);
        await().atMost(Duration.ofSeconds(30)).until(() -> present(hostId));
        again.destroy();
        assertThat(again.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSpentJoinTokenIsOneLineAndExit2AndNothingIsWritten() throws Exception {
        Path join = joinTokenFile("join-b");
        String address = "127.0.0.1:" + stargate.enrolPort();
        Path first = dir.resolve("host-b1");
        Process host = startHost(first, "--enrol", address, "--join-token-file", join.toString());
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(first.resolve(HostEnrolment.TOKEN_FILE)));
        host.destroy();
        host.waitFor(20, TimeUnit.SECONDS);

        Path second = dir.resolve("host-b2");
        RunnableJar.Result refused = jar.run("--consul", sg().httpUrl(), "--state-dir", second.toString(),
                "--enrol", address, "--join-token-file", join.toString());
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(Cli.USAGE);
        // JDK 24+ itself warns on stderr the first time protobuf uses sun.misc.Unsafe (JEP 498);
        // those lines are the JVM's, not ours, and absent on the JDK 21 the project targets.
        List<String> lines = refused.output().lines()
                .filter(l -> !l.isBlank() && !l.startsWith("WARNING: ")).toList();
        assertThat(lines).as(refused.output()).hasSize(1);
        assertThat(lines.getFirst()).contains("already used").doesNotContain(Files.readString(join).strip());
        assertThat(second.resolve(HostEnrolment.TOKEN_FILE)).doesNotExist();
    }
}
