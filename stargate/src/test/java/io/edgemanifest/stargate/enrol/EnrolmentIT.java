package io.edgemanifest.stargate.enrol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.cli.Cli;
import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.consul.TokenCheck;
import io.edgemanifest.core.enrol.EnrolmentClient;
import io.edgemanifest.core.enrol.EnrolmentException;
import io.edgemanifest.core.enrol.HostEnrolment;
import io.edgemanifest.core.enrol.HostPort;
import io.edgemanifest.core.enrol.JoinToken;
import io.edgemanifest.core.enrol.TokenFile;
import io.edgemanifest.core.enrol.TokenRotation;
import io.edgemanifest.core.enrol.proto.EnrolRequest;
import io.edgemanifest.core.enrol.proto.EnrolmentGrpc;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.node.NodeRecord;
import io.edgemanifest.core.presence.CheckSpec;
import io.edgemanifest.core.presence.Presence;
import io.edgemanifest.core.presence.PresenceConfig;
import io.edgemanifest.core.presence.PresenceState;
import io.edgemanifest.stargate.Stargate;
import io.edgemanifest.stargate.StargateMain;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.ConsulExtension;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import io.edgemanifest.core.enrol.PinnedTrustManager;
import io.edgemanifest.core.enrol.proto.EnrolReply;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.kiwiproject.consul.Consul;
import picocli.CommandLine;

/**
 * Host enrolment against real ACL-enabled Consul (a primary holding the ACL system, and the
 * Stargate's datacenter replicating its tokens) and a real Stargate serving enrolment over TLS.
 * The Stargate runs with its role's token, not the management one: that proves the role suffices.
 */
class EnrolmentIT {

    private static final String PRIMARY = "enrol-primary";
    private static final String STARGATE_DC = "enrol-sg";
    /** Another Stargate's datacenter, where hosts may migrate: host tokens must work there too. */
    private static final String OTHER_DC = "enrol-sg2";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacentersWithAcls(PRIMARY, STARGATE_DC, OTHER_DC);

    @TempDir
    static Path dir;

    private static Path stateDir;
    private static Path stargateTokenFile;
    private static Stargate stargate;
    private static ScheduledExecutorService scheduler;

    @BeforeAll
    static void startStargate() {
        ConsulAgent primary = consul.datacenter(PRIMARY);
        String stargateToken;
        try (AclAdmin admin = new AclAdmin(ConsulEndpoint.parse(primary.httpUrl(), primary.masterToken()))) {
            admin.ensurePolicies(AclPolicies.roles(PRIMARY));
            stargateToken = admin.createToken("test stargate", AclPolicies.policyNames(AclPolicies.Role.STARGATE), false)
                    .secretId();
        }
        stargateTokenFile = dir.resolve("stargate-token");
        TokenFile.write(stargateTokenFile, stargateToken);
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg().httpUrl(), stargateToken);
        // The token was created in the primary: wait until the Stargate's datacenter has replicated it.
        assertThat(TokenCheck.require(endpoint, "test")).isEqualTo(TokenCheck.Result.ACCEPTED);
        stateDir = dir.resolve("stargate");
        stargate = new Stargate(new Stargate.StargateConfig(endpoint, STARGATE_DC, stateDir, "127.0.0.1", 0, "127.0.0.1",
                null, Duration.ofMinutes(1), "test", 0, null)).start();
        scheduler = Executors.newScheduledThreadPool(2);
    }

    @AfterAll
    static void stopStargate() {
        if (stargate != null) {
            stargate.close();
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    // ------------------------------------------------------------------------------------ tests

    @Test
    void anEnrolledHostMayRegisterPassAndWriteItsOwnKeyOnly() throws Exception {
        String hostId = newHostId();
        String token = enrol(joinToken("1h", 1), hostId).getConsulToken();

        assertThat(registerTtlService(hostId, token)).isEqualTo(200);
        assertThat(request("PUT", "/v1/agent/check/pass/service:" + hostId, token, "")).isEqualTo(200);
        assertThat(request("PUT", "/v1/kv/" + NodeKind.HOST.keyOf(hostId), token, "{}")).isEqualTo(200);

        String other = newHostId();
        assertThat(request("PUT", "/v1/kv/" + NodeKind.HOST.keyOf(other), token, "{}")).isEqualTo(403);
        assertThat(registerTtlService(other, token)).isEqualTo(403);
        assertThat(request("PUT", "/v1/kv/enrol/hosts/" + hostId, token, "{}")).isEqualTo(403);
        // Valid in every Stargate datacenter (a host may migrate), not in the primary (the Explorer's).
        // (The token reaches the other datacenter by replication, ~0.1 s after the Stargate's answer.)
        await().atMost(Duration.ofSeconds(5)).until(() ->
                request(consul.datacenter(OTHER_DC), "PUT", "/v1/kv/" + NodeKind.HOST.keyOf(hostId), token, "{}") == 200);
        assertThat(request(consul.datacenter(PRIMARY), "PUT", "/v1/kv/" + NodeKind.HOST.keyOf(hostId), token, "{}"))
                .isEqualTo(403);
        // The record of the enrolment, with the accessor (never the secret).
        String record = sg().get("/v1/kv/" + EnrolmentStore.HOSTS + hostId + "?raw").orElseThrow();
        assertThat(record).contains(hostId).doesNotContain(token);
        request("PUT", "/v1/agent/service/deregister/" + hostId, token, "");
    }

    @Test
    void aUsedJoinTokenIsRefusedAndWritesNothing() {
        JoinToken join = joinToken("1h", 1);
        enrol(join, newHostId());
        String second = newHostId();
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(join, second), Status.Code.PERMISSION_DENIED, "already used");
        assertNothingWritten(second, tokens);
    }

    @Test
    void aJoinTokenForTwoUsesEnrolsTwoHostsThenNoMore() {
        JoinToken join = joinToken("1h", 2);
        enrol(join, newHostId());
        enrol(join, newHostId());
        String third = newHostId();
        assertRefused(() -> enrol(join, third), Status.Code.PERMISSION_DENIED, "already used");
    }

    @Test
    void anExpiredJoinTokenIsRefused() {
        JoinToken join = joinToken("1s", 1);
        Instant expired = Instant.now().plusSeconds(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(expired));
        String hostId = newHostId();
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(join, hostId), Status.Code.PERMISSION_DENIED, "expired");
        assertNothingWritten(hostId, tokens);
    }

    @Test
    void aWrongSecretIsRefusedAndTheJoinTokenKeepsItsUse() {
        JoinToken join = joinToken("1h", 1);
        JoinToken wrong = new JoinToken(join.id(), "a".repeat(26), join.caPin());
        String hostId = newHostId();
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(wrong, hostId), Status.Code.PERMISSION_DENIED, "wrong secret");
        assertNothingWritten(hostId, tokens);
        enrol(join, hostId);
    }

    @Test
    void anUnknownJoinTokenIsRefused() {
        JoinToken join = joinToken("1h", 1);
        JoinToken unknown = new JoinToken("0123456789abcdef", join.secret(), join.caPin());
        String hostId = newHostId();
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(unknown, hostId), Status.Code.PERMISSION_DENIED, "unknown join token");
        assertNothingWritten(hostId, tokens);
    }

    @Test
    void malformedAndOversizedRequestsAreRefused() throws Exception {
        JoinToken join = joinToken("1h", 1);
        String hostId = newHostId();
        int tokens = aclTokenCount();
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", stargate.enrolPort(),
                TlsChannelCredentials.newBuilder().trustManager(new PinnedTrustManager(stargate.caPin())).build()).build();
        try {
            EnrolmentGrpc.EnrolmentBlockingStub stub = EnrolmentGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
            EnrolRequest good = EnrolRequest.newBuilder().setJoinTokenId(join.id()).setJoinTokenSecret(join.secret())
                    .setHostId(hostId).build();
            for (EnrolRequest bad : List.of(
                    good.toBuilder().setJoinTokenId("../../etc").build(),
                    good.toBuilder().setJoinTokenSecret("x".repeat(1_000_000)).build(),
                    good.toBuilder().setJoinTokenSecret("").build(),
                    good.toBuilder().setHostId("host-not-a-uuid").build(),
                    good.toBuilder().setHostId("gateway-" + UUID.randomUUID()).build())) {
                assertThatThrownBy(() -> stub.enrol(bad)).isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            }
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertNothingWritten(hostId, tokens);
        // The host side refuses an oversized join token file before dialling anybody.
        Path huge = Files.writeString(dir.resolve("huge-join-token"), join.text() + "x".repeat(10_000));
        assertThatThrownBy(() -> HostEnrolment.loadOrEnrol(dir.resolve("host-huge"), hostId,
                new HostPort("127.0.0.1", stargate.enrolPort()), huge))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a join token");
        enrol(join, hostId); // the token kept its use
    }

    @Test
    void aServerWithAnotherCaGetsNoSecret() throws Exception {
        // A man in the middle: a real enrolment endpoint with its own CA, counting the calls it gets.
        AtomicInteger calls = new AtomicInteger();
        EnrolmentCa otherCa = EnrolmentCa.loadOrCreate(dir.resolve("mitm"), "mitm");
        EnrolmentGrpc.EnrolmentImplBase recorder = new EnrolmentGrpc.EnrolmentImplBase() {
            @Override
            public void enrol(EnrolRequest request, StreamObserver<EnrolReply> response) {
                calls.incrementAndGet();
                response.onNext(EnrolReply.newBuilder().setConsulToken("stolen").build());
                response.onCompleted();
            }
        };
        JoinToken join = joinToken("1h", 1);
        String hostId = newHostId();
        Path joinFile = Files.writeString(dir.resolve("join-mitm"), join.text());
        Path hostDir = dir.resolve("host-mitm");
        try (EnrolmentServer mitm = new EnrolmentServer(dir.resolve("mitm"), "127.0.0.1", 0, otherCa,
                List.of("127.0.0.1"), recorder).start()) {
            assertThatThrownBy(() -> HostEnrolment.loadOrEnrol(hostDir, hostId, new HostPort("127.0.0.1", mitm.port()), joinFile))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not trusted").hasMessageContaining("man in the middle");
        }
        assertThat(calls).hasValue(0);
        assertThat(hostDir.resolve(HostEnrolment.TOKEN_FILE)).doesNotExist();
        // The genuine Stargate still takes the token.
        assertThat(HostEnrolment.loadOrEnrol(hostDir, hostId, new HostPort("127.0.0.1", stargate.enrolPort()), joinFile))
                .isNotBlank();
    }

    @Test
    void anEnrolledHostIdIsRefusedAndTheJoinTokenKeepsItsUse() {
        String hostId = newHostId();
        enrol(joinToken("1h", 1), hostId);
        JoinToken second = joinToken("1h", 1);
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(second, hostId), Status.Code.ALREADY_EXISTS, "already enrolled");
        assertThat(aclTokenCount()).isEqualTo(tokens);
        enrol(second, newHostId());
    }

    @Test
    void theHostStoresItsTokenOwnerOnlyAndReusesItWithoutEnrollingAgain() throws Exception {
        String hostId = newHostId();
        Path hostDir = dir.resolve("host-reuse");
        Path joinFile = Files.writeString(dir.resolve("join-reuse"), joinToken("1h", 1).text() + "\n");
        HostPort address = new HostPort("127.0.0.1", stargate.enrolPort());
        String token = HostEnrolment.loadOrEnrol(hostDir, hostId, address, joinFile);
        Path tokenFile = hostDir.resolve(HostEnrolment.TOKEN_FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile))).isEqualTo("rw-------");
        assertThat(TokenFile.read(tokenFile)).contains(token);
        // The join token is spent, and not even read the second time.
        Files.writeString(joinFile, "garbage");
        int tokens = aclTokenCount();
        assertThat(HostEnrolment.loadOrEnrol(hostDir, hostId, address, joinFile)).isEqualTo(token);
        assertThat(aclTokenCount()).isEqualTo(tokens);
        assertThat(HostEnrolment.stargate(hostDir)).contains(new HostEnrolment.Stargate(address, stargate.caPin()));
    }

    @Test
    void creatingAJoinTokenNeedsTheAdminSecret() {
        try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()), stargate.caPin())) {
            assertThatThrownBy(() -> client.createJoinToken("not-the-secret", Duration.ofHours(1), 1))
                    .isInstanceOfSatisfying(EnrolmentException.class,
                            e -> assertThat(e.kind()).isEqualTo(EnrolmentException.Kind.REFUSED))
                    .hasMessageContaining("wrong admin secret");
        }
    }

    @Test
    void aRevokedHostLosesTokensServiceAndKeyKeepsAnEmptyPolicyAndCannotEnrolAgain() {
        String hostId = newHostId();
        ConsulToken token = ConsulToken.of(enrol(joinToken("1h", 1), hostId).getConsulToken());
        // Present in the Stargate's datacenter, and a stale registration in another one (a migration).
        await().atMost(Duration.ofSeconds(5))
                .until(() -> registerTtlService(consul.datacenter(OTHER_DC), hostId, token.get()) == 200);
        try (Presence presence = presence(hostId, token)) {
            awaitPresent(hostId);

            CommandResult revoke = stargateCli("host", "revoke", hostId, "--consul", sg().httpUrl(),
                    "--token-file", stargateTokenFile.toString());
            assertThat(revoke.code()).as(revoke.err()).isZero();

            assertTombstone(hostId);
            assertThat(hostTokens(hostId)).isEmpty();
            assertThat(request("GET", "/v1/acl/token/self", token.get(), null)).isEqualTo(403);
            // Deregistered from the catalog: the session bound to its check dies and takes the key along.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(sg().get("/v1/catalog/service/" + hostId).map(String::strip)).hasValue("[]");
                assertThat(sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId))).isEmpty();
            });
            assertThat(consul.datacenter(OTHER_DC).get("/v1/catalog/service/" + hostId).map(String::strip)).hasValue("[]");
            // Recorded as revoked in every datacenter, so no Stargate enrols the ID again.
            assertThat(consul.datacenter(OTHER_DC).get("/v1/kv/" + EnrolmentStore.HOSTS + hostId + "?raw").orElseThrow())
                    .contains("revokedAt");
        }
        JoinToken again = joinToken("1h", 1);
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(again, hostId), Status.Code.PERMISSION_DENIED, "revoked");
        assertThat(aclTokenCount()).isEqualTo(tokens);
        assertTombstone(hostId);
        // Running it again is harmless: nothing left to do, the tombstone stays.
        CommandResult rerun = stargateCli("host", "revoke", hostId, "--consul", sg().httpUrl(),
                "--token-file", stargateTokenFile.toString());
        assertThat(rerun.code()).as(rerun.err()).isZero();
        assertThat(rerun.out()).contains("0 token(s) deleted");
        assertTombstone(hostId);
    }

    @Test
    void aRevokedIdIsRefusedWhereNoDatacenterRecordsTheRevocation() {
        String hostId = newHostId();
        enrol(joinToken("1h", 1), hostId);
        assertThat(revoke(hostId).code()).isZero();
        // A datacenter added after the revocation has no record of it: the policy must refuse the ID there.
        assertThat(sg().request("DELETE", "/v1/kv/" + EnrolmentStore.HOSTS + hostId, null)).isPresent();
        JoinToken again = joinToken("1h", 1);
        int tokens = aclTokenCount();
        assertRefused(() -> enrol(again, hostId), Status.Code.PERMISSION_DENIED, "revoked");
        assertThat(aclTokenCount()).isEqualTo(tokens);
        assertTombstone(hostId);
    }

    @Test
    void rotateAndConfirmAreRefusedOnceTheRevocationIsRecorded() {
        String hostId = newHostId();
        String token = enrol(joinToken("1h", 1), hostId).getConsulToken();
        try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()), stargate.caPin());
             AdminClient admin = new AdminClient()) {
            String rotated = client.rotate(hostId, token).getConsulToken();
            // Revocation's first step (its records), as a host calling in a loop would catch it.
            assertThat(EnrolmentStore.markRevokedEverywhere(admin.consul(), hostId, Instant.now())).isEmpty();
            assertRefused(() -> client.rotate(hostId, token), Status.Code.PERMISSION_DENIED, "revoked");
            assertRefused(() -> client.confirmRotation(hostId, rotated), Status.Code.PERMISSION_DENIED, "revoked");
            assertThat(hostTokens(hostId)).hasSize(2);
            assertThat(sg().get("/v1/kv/" + EnrolmentStore.HOSTS + hostId + "?raw").orElseThrow()).contains("revokedAt");
        }
    }

    @Test
    void aTokenCarryingARevokedHostsPolicyHasNoRights() {
        String hostId = newHostId();
        enrol(joinToken("1h", 1), hostId);
        assertThat(revoke(hostId).code()).isZero();
        // What a Rotate racing the revocation would hold: a token minted after revocation listed the tokens.
        String late = consul.datacenter(PRIMARY).createToken(List.of(AclPolicies.hostPolicyName(hostId)));
        await().atMost(Duration.ofSeconds(5)).until(() -> request("GET", "/v1/acl/token/self", late, null) == 200);
        assertThat(request("PUT", "/v1/kv/" + NodeKind.HOST.keyOf(hostId), late, "{}")).isEqualTo(403);
        assertThat(registerTtlService(hostId, late)).isEqualTo(403);
    }

    @Test
    void aHostRotatingInALoopCannotOutrunItsRevocation() throws Exception {
        String hostId = newHostId();
        String first = enrol(joinToken("1h", 1), hostId).getConsulToken();
        List<String> received = new java.util.concurrent.CopyOnWriteArrayList<>(List.of(first));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger rounds = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<EnrolmentException> stoppedBy = new java.util.concurrent.atomic.AtomicReference<>();
        CompletableFuture<Void> loop = CompletableFuture.runAsync(() -> {
            try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()),
                    stargate.caPin())) {
                String current = first;
                while (!stop.get()) {
                    String next = client.rotate(hostId, current).getConsulToken();
                    received.add(next);
                    // ConfirmRotation in a loop: each one reads and rewrites the host's record.
                    for (int i = 0; i < 3; i++) {
                        client.confirmRotation(hostId, next);
                    }
                    current = next;
                    rounds.incrementAndGet();
                }
            } catch (EnrolmentException refused) {
                // The revocation caught up with the host: what we are here to see.
                stoppedBy.set(refused);
            }
        });
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> rounds.get() >= 2 || loop.isDone());
            assertThat(rounds.get()).as("the host's loop stopped early: %s", stoppedBy.get()).isGreaterThanOrEqualTo(2);
            assertThat(revoke(hostId).code()).isZero();
        } finally {
            stop.set(true);
            loop.get(30, TimeUnit.SECONDS);
        }
        for (String dc : List.of(PRIMARY, STARGATE_DC, OTHER_DC)) {
            assertThat(consul.datacenter(dc).get("/v1/kv/" + EnrolmentStore.HOSTS + hostId + "?raw").orElseThrow())
                    .as(dc).contains("revokedAt").doesNotContain("\"revokedAt\":null");
        }
        assertTombstone(hostId);
        assertThat(hostTokens(hostId)).isEmpty();
        for (String token : received) {
            assertThat(request("PUT", "/v1/kv/" + NodeKind.HOST.keyOf(hostId), token, "{}")).isEqualTo(403);
        }
        assertRefused(() -> enrol(joinToken("1h", 1), hostId), Status.Code.PERMISSION_DENIED, "revoked");
    }

    @Test
    void rotationKeepsTheHostPresentAndRetiresTheOldToken() throws Exception {
        String hostId = newHostId();
        Path hostDir = dir.resolve("host-rotate");
        Path joinFile = Files.writeString(dir.resolve("join-rotate"), joinToken("1h", 1).text());
        HostPort address = new HostPort("127.0.0.1", stargate.enrolPort());
        String old = HostEnrolment.loadOrEnrol(hostDir, hostId, address, joinFile);
        ConsulToken token = ConsulToken.of(old);
        try (Presence presence = presence(hostId, token)) {
            awaitPresent(hostId);
            String session = presence.sessionId().orElseThrow();
            String keyBefore = sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId)).orElseThrow();

            new TokenRotation(hostId, HostEnrolment.stargate(hostDir).orElseThrow(), hostDir.resolve(HostEnrolment.TOKEN_FILE),
                    token, presence::reRegister).rotateOnce();

            assertThat(token.get()).isNotEqualTo(old);
            assertThat(TokenFile.read(hostDir.resolve(HostEnrolment.TOKEN_FILE))).contains(token.get());
            // Deleted in the primary; the Stargate's datacenter learns it by replication (~0.1 s).
            await().atMost(Duration.ofSeconds(5)).until(() -> request("GET", "/v1/acl/token/self", old, null) == 403);
            assertThat(request("GET", "/v1/acl/token/self", token.get(), null)).isEqualTo(200);
            // Still present, with the same session holding the same key, beyond a few TTLs.
            Instant later = Instant.now().plusSeconds(4);
            await().atMost(Duration.ofSeconds(8)).until(() -> Instant.now().isAfter(later));
            assertThat(presence.state()).isEqualTo(PresenceState.PRESENT);
            assertThat(presence.sessionId()).contains(session);
            JsonNode key = JSON.readTree(sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId)).orElseThrow()).get(0);
            assertThat(key.path("Session").asText()).isEqualTo(session);
            assertThat(key.path("CreateIndex").asLong())
                    .isEqualTo(JSON.readTree(keyBefore).get(0).path("CreateIndex").asLong());
            assertThat(sg().get("/v1/health/service/" + hostId + "?passing").orElseThrow()).contains(hostId);
            // Only the new token carries the host's policy now.
            try (AclAdmin admin = new AclAdmin(ConsulEndpoint.parse(sg().httpUrl(), sg().masterToken()))) {
                assertThat(admin.tokensWithPolicy(AclPolicies.hostPolicyName(hostId))).hasSize(1);
            }
        }
    }

    @Test
    void rotationNeedsTheHostsOwnTokenAndCannotPileUpTokens() {
        String hostId = newHostId();
        String token = enrol(joinToken("1h", 1), hostId).getConsulToken();
        String otherToken = enrol(joinToken("1h", 1), newHostId()).getConsulToken();
        HostPort address = new HostPort("127.0.0.1", stargate.enrolPort());
        try (EnrolmentClient client = EnrolmentClient.connect(address, stargate.caPin())) {
            assertRefused(() -> client.rotate(hostId, otherToken), Status.Code.PERMISSION_DENIED,
                    "not a valid token of host " + hostId);
            assertRefused(() -> client.rotate(hostId, "00000000-0000-0000-0000-000000000000"),
                    Status.Code.PERMISSION_DENIED, "not a valid token of host " + hostId);
            // Rotating without confirming: the third live token is the last one granted.
            client.rotate(hostId, token);
            client.rotate(hostId, token);
            assertRefused(() -> client.rotate(hostId, token), Status.Code.FAILED_PRECONDITION, "confirm a rotation");
        }
    }

    @Test
    void parallelRotationsCannotExceedTheTokenCap() throws Exception {
        String hostId = newHostId();
        String token = enrol(joinToken("1h", 1), hostId).getConsulToken();
        int calls = 8;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger granted = new AtomicInteger();
        AtomicInteger capped = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(calls);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                results.add(pool.submit(() -> {
                    try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()),
                            stargate.caPin())) {
                        start.await();
                        client.rotate(hostId, token);
                        granted.incrementAndGet();
                    } catch (EnrolmentException e) {
                        assertThat(e).hasMessageContaining("confirm a rotation");
                        capped.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> result : results) {
                result.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(granted.get() + capped.get()).isEqualTo(calls);
        assertThat(granted).hasValueLessThanOrEqualTo(2);
        assertThat(hostTokens(hostId)).hasSize(1 + granted.get()).hasSizeLessThanOrEqualTo(3);
    }

    @Test
    void rotationRecoversWhenFailedRoundsLeftTheHostAtItsTokenCap() throws Exception {
        String hostId = newHostId();
        Path hostDir = dir.resolve("host-wedged");
        Path joinFile = Files.writeString(dir.resolve("join-wedged"), joinToken("1h", 1).text());
        String old = HostEnrolment.loadOrEnrol(hostDir, hostId, new HostPort("127.0.0.1", stargate.enrolPort()), joinFile);
        HostEnrolment.Stargate at = HostEnrolment.stargate(hostDir).orElseThrow();
        try (EnrolmentClient client = EnrolmentClient.connect(at.address(), at.caPin())) {
            // Two rounds that died after Rotate: never confirmed.
            client.rotate(hostId, old);
            client.rotate(hostId, old);
        }
        assertThat(hostTokens(hostId)).hasSize(3);
        ConsulToken token = ConsulToken.of(old);
        AtomicInteger registrations = new AtomicInteger();
        new TokenRotation(hostId, at, hostDir.resolve(HostEnrolment.TOKEN_FILE), token, () -> {
            registrations.incrementAndGet();
            return CompletableFuture.completedFuture(null);
        }).rotateOnce();

        assertThat(token.get()).isNotEqualTo(old);
        assertThat(TokenFile.read(hostDir.resolve(HostEnrolment.TOKEN_FILE))).contains(token.get());
        assertThat(hostTokens(hostId)).hasSize(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> request("GET", "/v1/acl/token/self", old, null) == 403);
        assertThat(request("GET", "/v1/acl/token/self", token.get(), null)).isEqualTo(200);
        assertThat(registrations).hasPositiveValue();
    }

    @Test
    void confirmingWithAnUnknownTokenIsRefusedAtOnceAndLikeAnotherHostsToken() {
        String hostId = newHostId();
        enrol(joinToken("1h", 1), hostId);
        String otherToken = enrol(joinToken("1h", 1), newHostId()).getConsulToken();
        try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()), stargate.caPin())) {
            long started = System.nanoTime();
            String unknown = refusal(() -> client.confirmRotation(hostId, UUID.randomUUID().toString()));
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            String notHis = refusal(() -> client.confirmRotation(hostId, otherToken));
            // Before, an unknown token was polled for ~5 s (dozens of Consul lookups per unauthenticated call).
            assertThat(took).isLessThan(Duration.ofSeconds(2));
            // One answer for both: the call must not tell whether an arbitrary string is a valid Consul token.
            assertThat(unknown).isEqualTo(notHis);
            assertThat(refusal(() -> client.rotate(hostId, UUID.randomUUID().toString()))).isEqualTo(
                    refusal(() -> client.rotate(hostId, otherToken)));
        }
    }

    // ---------------------------------------------------------------------------------- helpers

    private static ConsulAgent sg() {
        return consul.datacenter(STARGATE_DC);
    }

    private static String newHostId() {
        return "host-" + UUID.randomUUID();
    }

    record CommandResult(int code, String out, String err) {
    }

    private static CommandResult stargateCli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Cli.commandLine(new StargateMain());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CommandResult(code, out.toString(), err.toString());
    }

    /** A join token from the CLI, as an operator gets it: the last line of {@code stargate enrol-token create}. */
    private static JoinToken joinToken(String ttl, int uses) {
        CommandResult result = stargateCli("enrol-token", "create", "--state-dir", stateDir.toString(),
                "--ttl", ttl, "--uses", Integer.toString(uses));
        assertThat(result.code()).as(result.err()).isZero();
        List<String> lines = result.out().lines().toList();
        JoinToken token = JoinToken.parse(lines.getLast());
        assertThat(String.join("\n", lines.subList(0, lines.size() - 1))).doesNotContain(token.secret());
        assertThat(token.caPin()).isEqualTo(stargate.caPin());
        return token;
    }

    private static EnrolReply enrol(JoinToken token, String hostId) {
        try (EnrolmentClient client = EnrolmentClient.connect(new HostPort("127.0.0.1", stargate.enrolPort()), token.caPin())) {
            return client.enrol(token, hostId);
        }
    }

    /** The refusal's description (a PERMISSION_DENIED), without the per-call prefix. */
    private static String refusal(Runnable call) {
        try {
            call.run();
        } catch (EnrolmentException e) {
            assertThat(e.kind()).isEqualTo(EnrolmentException.Kind.REFUSED);
            Status status = ((StatusRuntimeException) e.getCause()).getStatus();
            assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            return status.getDescription();
        }
        throw new AssertionError("not refused");
    }

    private static CommandResult revoke(String hostId) {
        CommandResult result = stargateCli("host", "revoke", hostId, "--consul", sg().httpUrl(),
                "--token-file", stargateTokenFile.toString());
        assertThat(result.code()).as(result.err()).isZero();
        return result;
    }

    /** The host's policy exists, with no rules: the revoked ID's tombstone. */
    private static void assertTombstone(String hostId) {
        String policy = consul.datacenter(PRIMARY).get("/v1/acl/policy/name/" + AclPolicies.hostPolicyName(hostId))
                .orElseThrow(() -> new AssertionError("no policy for " + hostId));
        try {
            assertThat(JSON.readTree(policy).path("Rules").asText("")).isBlank();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Accessor IDs of the tokens carrying the host's policy, as the primary lists them (none without a policy). */
    private static List<String> hostTokens(String hostId) {
        try {
            Optional<String> policy = consul.datacenter(PRIMARY).get("/v1/acl/policy/name/" + AclPolicies.hostPolicyName(hostId));
            if (policy.isEmpty()) {
                return List.of();
            }
            String id = JSON.readTree(policy.get()).path("ID").asText();
            List<String> accessors = new ArrayList<>();
            JSON.readTree(consul.datacenter(PRIMARY).get("/v1/acl/tokens?policy=" + id).orElseThrow())
                    .forEach(t -> accessors.add(t.path("AccessorID").asText()));
            return accessors;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A Consul client with the management token, for the steps a test plays by hand. */
    private static final class AdminClient implements AutoCloseable {
        private final Consul client = ConsulEndpoint.parse(sg().httpUrl(), sg().masterToken()).client();

        Consul consul() {
            return client;
        }

        @Override
        public void close() {
            client.destroy();
        }
    }

    private static void assertRefused(Runnable call, Status.Code code, String reason) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(EnrolmentException.class, e -> {
            assertThat(e.kind()).isEqualTo(EnrolmentException.Kind.REFUSED);
            assertThat(((StatusRuntimeException) e.getCause()).getStatus().getCode()).isEqualTo(code);
        }).hasMessageContaining(reason);
    }

    /** No token was created, and neither the host's policy nor its enrolment record exists. */
    private static void assertNothingWritten(String hostId, int tokensBefore) {
        assertThat(aclTokenCount()).isEqualTo(tokensBefore);
        assertThat(policyExists(AclPolicies.hostPolicyName(hostId))).isFalse();
        assertThat(sg().get("/v1/kv/" + EnrolmentStore.HOSTS + hostId)).isEmpty();
    }

    private static int aclTokenCount() {
        try {
            return JSON.readTree(consul.datacenter(PRIMARY).get("/v1/acl/tokens").orElseThrow()).size();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean policyExists(String name) {
        return consul.datacenter(PRIMARY).get("/v1/acl/policy/name/" + name).isPresent();
    }

    private static int registerTtlService(String hostId, String token) {
        return registerTtlService(sg(), hostId, token);
    }

    private static int registerTtlService(ConsulAgent agent, String hostId, String token) {
        return request(agent, "PUT", "/v1/agent/service/register", token, """
                {"ID": "%1$s", "Name": "%1$s", "Tags": ["host"], "Check": {"CheckID": "service:%1$s", "TTL": "30s"}}
                """.formatted(hostId));
    }

    private static int request(String method, String path, String token, String body) {
        return request(sg(), method, path, token, body);
    }

    private static int request(ConsulAgent agent, String method, String path, String token, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(agent.httpUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("X-Consul-Token", token);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The host's real presence (service, TTL check, session, key) with its own token. */
    private static Presence presence(String hostId, ConsulToken token) {
        ConsulEndpoint endpoint = ConsulEndpoint.parse(sg().httpUrl(), token, null);
        return Presence.create(PresenceConfig.of(endpoint, CheckSpec.Ttl.of(Duration.ofSeconds(3))),
                NodeRecord.of(hostId, NodeKind.HOST, "test"), scheduler).start();
    }

    private static void awaitPresent(String hostId) {
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            JsonNode key = JSON.readTree(sg().get("/v1/kv/" + NodeKind.HOST.keyOf(hostId)).orElse("[]"));
            assertThat(key.path(0).path("Session").asText()).isNotEmpty();
        });
    }
}
