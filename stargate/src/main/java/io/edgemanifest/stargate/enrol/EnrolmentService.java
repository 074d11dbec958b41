package io.edgemanifest.stargate.enrol;

import io.edgemanifest.core.acl.AclAdmin;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.consul.ConsulErrors;
import io.edgemanifest.core.enrol.JoinToken;
import io.edgemanifest.core.node.NodeIdentity;
import io.edgemanifest.core.node.NodeKind;
import io.edgemanifest.core.enrol.proto.ConfirmRotationReply;
import io.edgemanifest.core.enrol.proto.ConfirmRotationRequest;
import io.edgemanifest.core.enrol.proto.CreateJoinTokenReply;
import io.edgemanifest.core.enrol.proto.CreateJoinTokenRequest;
import io.edgemanifest.core.enrol.proto.EnrolReply;
import io.edgemanifest.core.enrol.proto.EnrolRequest;
import io.edgemanifest.core.enrol.proto.EnrolmentGrpc;
import io.edgemanifest.core.enrol.proto.RotateReply;
import io.edgemanifest.core.enrol.proto.RotateRequest;
import io.edgemanifest.stargate.enrol.EnrolmentStore.HostRecord;
import io.edgemanifest.stargate.enrol.EnrolmentStore.JoinTokenRecord;
import io.edgemanifest.stargate.enrol.EnrolmentStore.Versioned;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Stargate's {@code edge.enrolment.v1.Enrolment} service: join tokens in, host tokens out.
 *
 * <p>A refusal answers a gRPC status with a one-line reason and writes nothing: every check that
 * can refuse (format, known token, secret, expiry, uses left, host ID free and never revoked, no
 * host policy anywhere in the ACL system) runs before the first write. The first write spends the
 * use with a check-and-set; the host ID is then claimed with create-only semantics, so two hosts
 * racing for one ID or one use cannot both win. Secrets never reach a log line.
 *
 * <p>Revocation ({@code stargate host revoke}) may run at any moment against any of these calls. It
 * writes {@code revokedAt} into every datacenter's record first, then empties the host's policy, then
 * deletes its tokens. So every call here refuses a revoked ID, writes host records only with a
 * check-and-set that leaves a revoked record alone, and a call that minted a token looks again
 * afterwards and deletes it should the ID have been revoked meanwhile.
 */
public final class EnrolmentService extends EnrolmentGrpc.EnrolmentImplBase {

    /** Longest join token lifetime an operator may ask for: a join token is meant to be short-lived. */
    public static final Duration MAX_TTL = Duration.ofDays(7);
    public static final int MAX_USES = 1000;
    /** Expired join token records are kept this long (so a late host hears "expired", not "unknown"), then deleted. */
    static final Duration KEEP_EXPIRED = Duration.ofHours(1);
    /**
     * A token created in the primary reaches this datacenter about 0.1 s later: Enrol and Rotate wait
     * up to this long before answering, so the host can use its new token at once.
     */
    static final Duration REPLICATION_GRACE = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(EnrolmentService.class);
    private static final Pattern TOKEN_ID = Pattern.compile("[0-9a-f]{16}");
    private static final Pattern SECRET = Pattern.compile("[a-z2-7]{26}");
    private static final Pattern CONSUL_TOKEN = Pattern.compile("[\\x21-\\x7e]{1,512}");
    private static final int CAS_ATTEMPTS = 20;
    /**
     * Tokens one host may hold at once: the current one, a new one being confirmed, and one more for
     * a rotation that failed half-way. Without a cap a host could call Rotate in a loop and fill the
     * ACL system (every token is replicated to every datacenter). Holds under parallel calls too (see
     * {@link #rotate}).
     */
    static final int MAX_TOKENS_PER_HOST = 3;

    private final EnrolmentStore store;
    private final AclAdmin acl;
    private final String datacenter;
    private final String caPin;
    private final byte[] adminSecret;
    private final Supplier<List<String>> stargateDatacenters;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param datacenter          this Stargate's datacenter (recorded in join tokens and host records)
     * @param caPin               SHA-256 of the enrolment CA certificate, put into every join token
     * @param adminSecret         what {@code CreateJoinToken} callers must present
     * @param stargateDatacenters where host tokens are valid (asked at each enrolment: datacenters come and go)
     */
    private final String hostSessionNodes;

    public EnrolmentService(EnrolmentStore store, AclAdmin acl, String datacenter, String caPin, String adminSecret,
                            Supplier<List<String>> stargateDatacenters, Clock clock) {
        this(store, acl, datacenter, caPin, adminSecret, stargateDatacenters, clock, "");
    }

    /**
     * @param hostSessionNodes the node-name prefix of the Consul agents hosts use: their sessions are
     *                         allowed there only ("" = every node; see AclPolicies.host)
     */
    public EnrolmentService(EnrolmentStore store, AclAdmin acl, String datacenter, String caPin, String adminSecret,
                            Supplier<List<String>> stargateDatacenters, Clock clock, String hostSessionNodes) {
        this.hostSessionNodes = io.edgemanifest.core.acl.AclPolicies.requireNodePrefix(hostSessionNodes);
        this.store = Objects.requireNonNull(store, "store");
        this.acl = Objects.requireNonNull(acl, "acl");
        this.datacenter = Objects.requireNonNull(datacenter, "datacenter");
        this.caPin = Objects.requireNonNull(caPin, "caPin");
        this.adminSecret = Objects.requireNonNull(adminSecret, "adminSecret").getBytes(StandardCharsets.UTF_8);
        this.stargateDatacenters = Objects.requireNonNull(stargateDatacenters, "stargateDatacenters");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // ----------------------------------------------------------------------------- CreateJoinToken

    @Override
    public void createJoinToken(CreateJoinTokenRequest request, StreamObserver<CreateJoinTokenReply> response) {
        answer(response, "create join token", () -> {
            if (!MessageDigest.isEqual(adminSecret, request.getAdminSecret().getBytes(StandardCharsets.UTF_8))) {
                throw refuse(Status.PERMISSION_DENIED, "wrong admin secret");
            }
            Duration ttl = Duration.ofSeconds(request.getTtlSeconds() == 0 ? 3600 : request.getTtlSeconds());
            if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
                throw refuse(Status.INVALID_ARGUMENT, "invalid ttl " + request.getTtlSeconds() + "s: 1s to " + MAX_TTL.toDays() + "d");
            }
            int uses = request.getUses() == 0 ? 1 : request.getUses();
            if (uses < 1 || uses > MAX_USES) {
                throw refuse(Status.INVALID_ARGUMENT, "invalid uses " + request.getUses() + ": 1 to " + MAX_USES);
            }
            sweepExpired();
            Instant now = clock.instant();
            for (int attempt = 0; attempt < 5; attempt++) {
                JoinToken token = JoinToken.generate(caPin, random);
                JoinTokenRecord record = new JoinTokenRecord(JoinToken.hash(token.secret()), now, now.plus(ttl), uses, uses,
                        datacenter);
                if (store.createJoinToken(token.id(), record)) {
                    log.info("join token {} created: {} use(s), expires {}", token.id(), uses, record.expiresAt());
                    return CreateJoinTokenReply.newBuilder()
                            .setJoinToken(token.text())
                            .setTokenId(token.id())
                            .setExpiresAtEpochSeconds(record.expiresAt().getEpochSecond())
                            .setDatacenter(datacenter)
                            .build();
                }
            }
            throw new IllegalStateException("could not store a join token under a fresh ID in 5 attempts");
        });
    }

    private void sweepExpired() {
        try {
            int deleted = store.deleteJoinTokensExpiredBefore(clock.instant().minus(KEEP_EXPIRED));
            if (deleted > 0) {
                log.info("{} expired join token record(s) deleted", deleted);
            }
        } catch (RuntimeException e) {
            // Housekeeping: a failure here must not stop an operator from issuing a token.
            log.warn("cannot delete expired join tokens: {}", e.getMessage());
        }
    }

    // ----------------------------------------------------------------------------------- Enrol

    @Override
    public void enrol(EnrolRequest request, StreamObserver<EnrolReply> response) {
        answer(response, "enrol", () -> enrol(request));
    }

    private EnrolReply enrol(EnrolRequest request) {
        String tokenId = request.getJoinTokenId();
        String hostId = request.getHostId();
        if (!TOKEN_ID.matcher(tokenId).matches() || !SECRET.matcher(request.getJoinTokenSecret()).matches()) {
            throw refuse(Status.INVALID_ARGUMENT, "malformed join token");
        }
        if (!NodeIdentity.isValid(hostId, NodeKind.HOST)) {
            throw refuse(Status.INVALID_ARGUMENT, "invalid host ID '" + printable(hostId) + "' (expected host-<uuid>)");
        }
        Versioned<JoinTokenRecord> spent = null;
        for (int attempt = 0; attempt < CAS_ATTEMPTS && spent == null; attempt++) {
            Versioned<JoinTokenRecord> current = store.joinToken(tokenId)
                    .orElseThrow(() -> refuse(Status.PERMISSION_DENIED, "unknown join token " + tokenId));
            JoinTokenRecord record = current.value();
            if (!JoinToken.secretMatches(request.getJoinTokenSecret(), record.secretSha256())) {
                log.warn("enrolment of {} refused: wrong secret for join token {}", hostId, tokenId);
                throw refuse(Status.PERMISSION_DENIED, "wrong secret for join token " + tokenId);
            }
            if (!clock.instant().isBefore(record.expiresAt())) {
                throw refuse(Status.PERMISSION_DENIED, "join token " + tokenId + " expired at " + record.expiresAt());
            }
            if (record.usesLeft() <= 0) {
                throw refuse(Status.PERMISSION_DENIED, "join token " + tokenId + " already used");
            }
            requireNewHost(hostId);
            // The first write. Losing the race means someone spent a use meanwhile: read again.
            if (store.replaceJoinToken(tokenId, record.spendOne(), current.modifyIndex())) {
                spent = current;
            }
        }
        if (spent == null) {
            throw refuse(Status.UNAVAILABLE, "join token " + tokenId + " is contended: try again");
        }
        Instant now = clock.instant();
        if (!store.claimHost(new HostRecord(hostId, null, now, tokenId, datacenter, null))) {
            // Another enrolment of this ID, or its revocation, won between our check and our claim; our use is spent.
            log.warn("enrolment of {} lost a race for the ID; join token {} use spent", hostId, tokenId);
            throw store.revoked(hostId) ? refuseRevoked(hostId)
                    : refuse(Status.ALREADY_EXISTS, "host " + hostId + " is already enrolled");
        }
        AclAdmin.IssuedToken issued;
        try {
            issued = acl.enrolHost(hostId, hostDatacenters(), hostSessionNodes);
        } catch (AclAdmin.HostTakenException e) {
            // Enrolled through another Stargate, or revoked, since our check: the policy is not ours to undo.
            releaseClaim(hostId, tokenId);
            throw e.standing() == AclAdmin.HostStanding.REVOKED ? refuseRevoked(hostId)
                    : refuse(Status.ALREADY_EXISTS, "host " + hostId + " is already enrolled");
        } catch (RuntimeException e) {
            // Undo what we can, so the host may simply try again with the same join token.
            release(hostId, tokenId);
            throw e;
        }
        EnrolmentStore.HostUpdate recorded;
        String accessor = issued.accessorId();
        try {
            recorded = store.updateHost(hostId, h -> h.withAccessor(accessor));
        } catch (RuntimeException e) {
            discard(hostId, issued);
            release(hostId, tokenId);
            throw e;
        }
        if (recorded != EnrolmentStore.HostUpdate.UPDATED) {
            // Revoked while we enrolled (the token is worthless: its policy is, or is about to be, empty),
            // or our claim vanished: the token must not reach the host.
            discard(hostId, issued);
            if (recorded == EnrolmentStore.HostUpdate.REVOKED) {
                throw refuseRevoked(hostId);
            }
            release(hostId, tokenId);
            throw refuse(Status.ABORTED, "enrolment record of host " + hostId + " vanished: try again");
        }
        // The token was made in the primary: answer once this datacenter knows it, so it works at once.
        awaitResolvable(issued.secretId(), hostId);
        log.info("host {} enrolled with join token {}: ACL token {}", hostId, tokenId, issued.accessorId());
        return EnrolReply.newBuilder()
                .setConsulToken(issued.secretId())
                .setAccessorId(issued.accessorId())
                .addAllDatacenters(hostDatacenters())
                .build();
    }

    /**
     * A host ID may enrol once, ever: not if this datacenter has a record of it (enrolled, being
     * enrolled or revoked), nor if its policy exists in the ACL system (enrolled at another Stargate).
     * Otherwise anyone holding a join token could claim a known host's ID and its key.
     */
    private void requireNewHost(String hostId) {
        Optional<Versioned<HostRecord>> existing = store.host(hostId);
        if (existing.isPresent() && existing.get().value().revokedAt() != null) {
            throw refuse(Status.PERMISSION_DENIED, "host " + hostId + " was revoked at " + existing.get().value().revokedAt()
                    + ": it needs a new ID (a new state dir)");
        }
        // The policy is the global tombstone: it also refuses the ID in a datacenter added after the revocation.
        AclAdmin.HostStanding standing = acl.hostStanding(hostId);
        if (standing == AclAdmin.HostStanding.REVOKED) {
            throw refuseRevoked(hostId);
        }
        if (existing.isPresent() || standing == AclAdmin.HostStanding.ENROLLED) {
            throw refuse(Status.ALREADY_EXISTS, "host " + hostId + " is already enrolled");
        }
    }

    private static StatusRuntimeException refuseRevoked(String hostId) {
        return refuse(Status.PERMISSION_DENIED, "host " + hostId + " was revoked: it needs a new ID (a new state dir)");
    }

    /** Deletes a token we minted but must not hand out; on failure revocation (or the cap) still catches it. */
    private void discard(String hostId, AclAdmin.IssuedToken issued) {
        try {
            acl.deleteToken(issued.accessorId());
        } catch (RuntimeException e) {
            log.warn("host {}: ACL token {} not handed out but not deleted either: {}", hostId, issued.accessorId(),
                    e.getMessage());
        }
    }

    private void release(String hostId, String tokenId) {
        try {
            // A policy left without a token would make the retry look like an enrolled ID (a tombstone stays).
            acl.deletePolicyIfUnused(AclPolicies.hostPolicyName(hostId));
        } catch (RuntimeException e) {
            log.warn("enrolment of {} failed and its policy could not be removed: {}", hostId, e.getMessage());
        }
        releaseClaim(hostId, tokenId);
    }

    /** Gives back the claim on the ID (unless it was revoked meanwhile) and the join token's use. */
    private void releaseClaim(String hostId, String tokenId) {
        try {
            store.deleteHostUnlessRevoked(hostId);
            for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
                Optional<Versioned<JoinTokenRecord>> current = store.joinToken(tokenId);
                if (current.isEmpty() || store.replaceJoinToken(tokenId, current.get().value().refundOne(),
                        current.get().modifyIndex())) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            log.warn("enrolment of {} failed and could not be fully undone: {}", hostId, e.getMessage());
        }
    }

    private List<String> hostDatacenters() {
        List<String> datacenters = stargateDatacenters.get();
        // A network of one datacenter (a laptop demo): the host lives where the Stargate is.
        return datacenters.isEmpty() ? List.of(datacenter) : datacenters;
    }

    // ---------------------------------------------------------------------------------- Rotate

    /**
     * A new token for a host, authorised by its current one. The cap check before minting is only a
     * fast refusal: parallel calls would each see room for one more. The one that counts comes after
     * minting, in the ACL datacenter: tokens in creation order, and ours is kept only if it is among
     * the first {@link #MAX_TOKENS_PER_HOST}. A token created earlier is committed before ours, so
     * every call sees all tokens older than its own, and of N parallel calls only those that fit keep
     * theirs. Then it looks again for a revocation that ran meanwhile.
     */
    @Override
    public void rotate(RotateRequest request, StreamObserver<RotateReply> response) {
        answer(response, "rotate", () -> {
            String hostId = requireHostId(request.getHostId());
            AclAdmin.ResolvedToken caller = requireHostToken(hostId, request.getCurrentToken());
            AclAdmin.HostCredentials before = requireNotRevoked(hostId);
            if (before.tokensOldestFirst().size() >= MAX_TOKENS_PER_HOST) {
                throw tooManyTokens(hostId, before.tokensOldestFirst().size());
            }
            AclAdmin.IssuedToken issued;
            try {
                issued = acl.issueHostToken(hostId);
            } catch (IllegalStateException e) {
                // Its policy was emptied (or removed) since our check: a revocation is under way.
                throw refuseRevoked(hostId);
            }
            AclAdmin.HostCredentials after;
            try {
                after = acl.hostCredentials(hostId);
            } catch (RuntimeException e) {
                discard(hostId, issued);
                throw e;
            }
            if (after.standing() != AclAdmin.HostStanding.ENROLLED || store.revoked(hostId)) {
                discard(hostId, issued);
                throw refuseRevoked(hostId);
            }
            // How many of the host's tokens are older than ours.
            int rank = after.tokensOldestFirst().indexOf(issued.accessorId());
            if (rank < 0) {
                // The ACL datacenter always lists a token it created; should it not, keep the cap safe.
                discard(hostId, issued);
                throw refuse(Status.UNAVAILABLE, "new token of host " + hostId + " not listed yet: try again");
            }
            if (rank >= MAX_TOKENS_PER_HOST) {
                discard(hostId, issued);
                throw tooManyTokens(hostId, rank);
            }
            // Answer only once this datacenter knows the new token, so the host can use it at once.
            awaitResolvable(issued.secretId(), hostId);
            log.info("host {} rotating: new ACL token {} (authorised by {})", hostId, issued.accessorId(), caller.accessorId());
            return RotateReply.newBuilder().setConsulToken(issued.secretId()).setAccessorId(issued.accessorId()).build();
        });
    }

    private static StatusRuntimeException tooManyTokens(String hostId, int held) {
        return refuse(Status.FAILED_PRECONDITION, "host " + hostId + " holds " + held
                + " tokens already: confirm a rotation before starting another");
    }

    /**
     * Makes the new token the host's only one, authorised by it. No waiting for replication: Rotate
     * answered only once this datacenter knew the token, and waiting here would let any caller make
     * us poll Consul for seconds per call.
     */
    @Override
    public void confirmRotation(ConfirmRotationRequest request, StreamObserver<ConfirmRotationReply> response) {
        answer(response, "confirm rotation", () -> {
            String hostId = requireHostId(request.getHostId());
            AclAdmin.ResolvedToken current = requireHostToken(hostId, request.getNewToken());
            AclAdmin.HostCredentials credentials = requireNotRevoked(hostId);
            int deleted = 0;
            for (String accessor : credentials.tokensOldestFirst()) {
                if (!accessor.equals(current.accessorId())) {
                    acl.deleteToken(accessor);
                    deleted++;
                }
            }
            // Check-and-set, never over a revoked record: a revocation landing meanwhile keeps its revokedAt.
            if (store.updateHost(hostId, h -> h.withAccessor(current.accessorId())) == EnrolmentStore.HostUpdate.REVOKED) {
                throw refuseRevoked(hostId);
            }
            log.info("host {} rotated to ACL token {}: {} older token(s) deleted", hostId, current.accessorId(), deleted);
            return ConfirmRotationReply.newBuilder().setDeletedTokens(deleted).build();
        });
    }

    /** Refuses a host revoked here (its record) or anywhere (its policy emptied); returns its credentials otherwise. */
    private AclAdmin.HostCredentials requireNotRevoked(String hostId) {
        if (store.revoked(hostId)) {
            throw refuseRevoked(hostId);
        }
        AclAdmin.HostCredentials credentials = acl.hostCredentials(hostId);
        if (credentials.standing() != AclAdmin.HostStanding.ENROLLED) {
            throw refuseRevoked(hostId);
        }
        return credentials;
    }

    private static String requireHostId(String hostId) {
        if (!NodeIdentity.isValid(hostId, NodeKind.HOST)) {
            throw refuse(Status.INVALID_ARGUMENT, "invalid host ID '" + printable(hostId) + "' (expected host-<uuid>)");
        }
        return hostId;
    }

    /**
     * The token must be one Consul knows and must carry this host's policy. One refusal for both
     * cases, asked once: otherwise anyone could use this call to learn whether an arbitrary string
     * is a valid Consul token.
     */
    private AclAdmin.ResolvedToken requireHostToken(String hostId, String secret) {
        if (!CONSUL_TOKEN.matcher(secret).matches()) {
            throw refuse(Status.INVALID_ARGUMENT, "malformed Consul token");
        }
        Optional<AclAdmin.ResolvedToken> resolved = acl.resolve(secret);
        if (resolved.isEmpty() || !resolved.get().policyNames().contains(AclPolicies.hostPolicyName(hostId))) {
            resolved.ifPresent(token -> log.warn("call for {} refused: token {} is not that host's", hostId, token.accessorId()));
            throw refuse(Status.PERMISSION_DENIED, "not a valid token of host " + hostId);
        }
        return resolved.get();
    }

    /**
     * Waits until this datacenter resolves the new token with the host's policy. Consul replicates
     * tokens and policies separately: a token may resolve before its (new) policy arrives, and until
     * then it carries no rights here and our own checks would not recognise it as the host's.
     */
    private void awaitResolvable(String secret, String hostId) {
        Instant deadline = clock.instant().plus(REPLICATION_GRACE);
        String policy = AclPolicies.hostPolicyName(hostId);
        while (!acl.resolve(secret).map(t -> t.policyNames().contains(policy)).orElse(false)) {
            if (!clock.instant().isBefore(deadline)) {
                log.warn("new token not yet known in datacenter {} after {} s", datacenter, REPLICATION_GRACE.toSeconds());
                return;
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100); // waiting for Consul's token replication, which offers nothing to wait on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw refuse(Status.CANCELLED, "interrupted");
        }
    }

    // --------------------------------------------------------------------------------- helpers

    private static StatusRuntimeException refuse(Status status, String message) {
        return status.withDescription(message).asRuntimeException();
    }

    /** Host IDs come from untrusted callers: echo a bounded, printable version only. */
    private static String printable(String text) {
        String cleaned = text.replaceAll("[^\\x20-\\x7e]", "?");
        return cleaned.length() > 64 ? cleaned.substring(0, 64) + "..." : cleaned;
    }

    private static <T> void answer(StreamObserver<T> response, String what, Supplier<T> call) {
        T reply;
        try {
            reply = call.get();
        } catch (StatusRuntimeException e) {
            response.onError(e);
            return;
        } catch (RuntimeException e) {
            // Consul failed us: the caller learns it in one line, the details stay in our log.
            boolean unreachable = ConsulErrors.isUnreachable(e);
            log.warn("{} failed", what, e);
            response.onError((unreachable ? Status.UNAVAILABLE : Status.INTERNAL)
                    .withDescription("stargate could not " + what + ": "
                            + (unreachable ? "its Consul does not answer" : String.valueOf(e.getMessage()).lines().findFirst().orElse("")))
                    .asRuntimeException());
            return;
        }
        response.onNext(reply);
        response.onCompleted();
    }
}
