package io.edgemanifest.stargate.enrol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.core.node.NodeRecords;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.KeyValueClient;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.option.ImmutableDeleteOptions;
import org.kiwiproject.consul.option.ImmutablePutOptions;
import org.kiwiproject.consul.option.ImmutableQueryOptions;

/**
 * The Stargate's enrolment state in its datacenter's Consul KV, under {@code enrol/} (writable by the
 * stargate role only):
 * <ul>
 *   <li>{@code enrol/join-tokens/<token-id>}: a join token's SHA-256, expiry and uses left — never
 *       the secret. Uses are spent with check-and-set on the key's ModifyIndex, so two hosts racing
 *       for a token's last use cannot both win, whatever Consul does with concurrent writes.</li>
 *   <li>{@code enrol/hosts/<host-id>}: who enrolled, with which join token, and whether it was
 *       revoked. Created with {@code cas=0} (only if absent): one host ID, one enrolment. Every later
 *       write is a check-and-set too, and none ever replaces a record whose {@code revokedAt} is set:
 *       a write prepared before a revocation fails instead of erasing its tombstone.</li>
 * </ul>
 */
public final class EnrolmentStore {

    public static final String JOIN_TOKENS = AclPolicies.ENROL_PREFIX + "join-tokens/";
    public static final String HOSTS = AclPolicies.ENROL_PREFIX + "hosts/";

    private static final ObjectMapper JSON = NodeRecords.mapper();

    /**
     * A join token as stored: the secret's SHA-256 only.
     *
     * @param datacenter the Stargate datacenter that issued it
     */
    public record JoinTokenRecord(String secretSha256, Instant createdAt, Instant expiresAt, int uses, int usesLeft,
                                  String datacenter) {
        public JoinTokenRecord {
            Objects.requireNonNull(secretSha256, "secretSha256");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }

        JoinTokenRecord spendOne() {
            return new JoinTokenRecord(secretSha256, createdAt, expiresAt, uses, usesLeft - 1, datacenter);
        }

        JoinTokenRecord refundOne() {
            return new JoinTokenRecord(secretSha256, createdAt, expiresAt, uses, Math.min(uses, usesLeft + 1), datacenter);
        }
    }

    /**
     * An enrolled (or revoked) host.
     *
     * @param accessorId the accessor of its current Consul token (never the secret); null while being enrolled
     * @param revokedAt  set by revocation: the ID can never enrol again
     */
    public record HostRecord(String hostId, String accessorId, Instant enrolledAt, String joinTokenId,
                             String datacenter, Instant revokedAt) {
        HostRecord withAccessor(String accessor) {
            return new HostRecord(hostId, accessor, enrolledAt, joinTokenId, datacenter, revokedAt);
        }

        HostRecord revoked(Instant at) {
            return new HostRecord(hostId, accessorId, enrolledAt, joinTokenId, datacenter, at);
        }
    }

    /** A stored value and the ModifyIndex to check-and-set against. */
    public record Versioned<T>(T value, long modifyIndex) {
    }

    /** What {@link #updateHost} found. */
    public enum HostUpdate {
        UPDATED,
        /** The record carries {@code revokedAt}: left as it is. */
        REVOKED,
        /** No record of that host in this datacenter (enrolled through another Stargate, or never). */
        ABSENT
    }

    /** Check-and-set rounds before a write gives up: each lost round means somebody else wrote meanwhile. */
    static final int CAS_ATTEMPTS = 20;

    private final Consul consul;

    public EnrolmentStore(Consul consul) {
        this.consul = Objects.requireNonNull(consul, "consul");
    }

    private KeyValueClient kv() {
        return consul.keyValueClient();
    }

    public Optional<Versioned<JoinTokenRecord>> joinToken(String tokenId) {
        return read(JOIN_TOKENS + tokenId, JoinTokenRecord.class);
    }

    /** Stores a new join token; false if the ID is taken (the caller draws another). */
    public boolean createJoinToken(String tokenId, JoinTokenRecord record) {
        return put(JOIN_TOKENS + tokenId, record, 0);
    }

    /** Replaces a join token's record if nobody changed it since {@code modifyIndex}; false if somebody did. */
    public boolean replaceJoinToken(String tokenId, JoinTokenRecord record, long modifyIndex) {
        if (modifyIndex <= 0) {
            throw new IllegalArgumentException("a check-and-set needs the record's ModifyIndex, got " + modifyIndex);
        }
        return put(JOIN_TOKENS + tokenId, record, modifyIndex);
    }

    /** Deletes join tokens that expired before {@code before}; returns how many. */
    public int deleteJoinTokensExpiredBefore(Instant before) {
        int deleted = 0;
        for (Value value : kv().getValues(JOIN_TOKENS)) {
            Optional<JoinTokenRecord> record = decode(value, JoinTokenRecord.class);
            if (record.isEmpty() || record.get().expiresAt().isBefore(before)) {
                kv().deleteKey(value.getKey());
                deleted++;
            }
        }
        return deleted;
    }

    public Optional<Versioned<HostRecord>> host(String hostId) {
        return read(HOSTS + hostId, HostRecord.class);
    }

    /** Claims a host ID: false if a record of it exists already (enrolled, being enrolled or revoked). */
    public boolean claimHost(HostRecord record) {
        return put(HOSTS + record.hostId(), record, 0);
    }

    /**
     * Applies {@code change} to the host's record with a check-and-set, re-reading after a lost
     * round; never touches a revoked record (a read-then-write without the check could land right
     * after a revocation's write and erase {@code revokedAt}).
     *
     * @throws IllegalStateException when every round was lost
     */
    public HostUpdate updateHost(String hostId, UnaryOperator<HostRecord> change) {
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            Optional<Versioned<HostRecord>> current = host(hostId);
            if (current.isEmpty()) {
                return HostUpdate.ABSENT;
            }
            if (current.get().value().revokedAt() != null) {
                return HostUpdate.REVOKED;
            }
            if (put(HOSTS + hostId, change.apply(current.get().value()), current.get().modifyIndex())) {
                return HostUpdate.UPDATED;
            }
        }
        throw new IllegalStateException(HOSTS + hostId + " kept changing: not updated in " + CAS_ATTEMPTS + " attempts");
    }

    /** Whether this datacenter's record of the host says it was revoked. */
    public boolean revoked(String hostId) {
        return host(hostId).map(h -> h.value().revokedAt() != null).orElse(false);
    }

    /**
     * Deletes the host's record unless it was revoked (undoing a claim): a check-and-set delete, so a
     * revocation written after our read survives.
     */
    public void deleteHostUnlessRevoked(String hostId) {
        Optional<Versioned<HostRecord>> current = host(hostId);
        if (current.isPresent() && current.get().value().revokedAt() == null) {
            kv().deleteKey(HOSTS + hostId, ImmutableDeleteOptions.builder().cas(current.get().modifyIndex()).build());
        }
    }

    /**
     * Marks {@code hostId} revoked in every datacenter's {@code enrol/hosts/} (keeping what an
     * enrolment there recorded, and the first {@code revokedAt} of a record already marked), so no
     * Stargate enrols that ID again and no Rotate or ConfirmRotation is granted there. Each write is a
     * check-and-set against the record read (absent: {@code cas=0}), repeated when somebody wrote
     * meanwhile. Returns the datacenters where that failed.
     */
    public static List<String> markRevokedEverywhere(Consul consul, String hostId, Instant at) {
        List<String> failed = new ArrayList<>();
        KeyValueClient kv = consul.keyValueClient();
        for (String dc : consul.catalogClient().getDatacenters()) {
            try {
                if (!markRevoked(kv, dc, hostId, at)) {
                    failed.add(dc);
                }
            } catch (RuntimeException e) {
                failed.add(dc);
            }
        }
        return failed;
    }

    private static boolean markRevoked(KeyValueClient kv, String dc, String hostId, Instant at) {
        for (int attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
            Optional<Value> value = kv.getValue(HOSTS + hostId, ImmutableQueryOptions.builder().datacenter(dc).build());
            // A malformed record must not block a revocation: it is replaced by the tombstone.
            Optional<HostRecord> existing = value.flatMap(v -> decode(v, HostRecord.class));
            if (existing.isPresent() && existing.get().revokedAt() != null) {
                return true;
            }
            HostRecord record = existing.orElse(new HostRecord(hostId, null, null, null, dc, null));
            long cas = value.map(Value::getModifyIndex).orElse(0L);
            if (kv.putValue(HOSTS + hostId, encode(record.revoked(at)), 0,
                    ImmutablePutOptions.builder().dc(dc).cas(cas).build())) {
                return true;
            }
        }
        return false;
    }

    private boolean put(String key, Object record, long cas) {
        return kv().putValue(key, encode(record), 0, ImmutablePutOptions.builder().cas(cas).build());
    }

    private <T> Optional<Versioned<T>> read(String key, Class<T> type) {
        Optional<Value> value = kv().getValue(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        T record = decode(value.get(), type).orElseThrow(() -> new IllegalStateException(
                "malformed enrolment record at " + key + ": delete it if it is not needed"));
        return Optional.of(new Versioned<>(record, value.get().getModifyIndex()));
    }

    private static <T> Optional<T> decode(Value value, Class<T> type) {
        try {
            String json = value.getValueAsString().orElse("");
            return json.isBlank() ? Optional.empty() : Optional.ofNullable(JSON.readValue(json, type));
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }

    private static String encode(Object record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + record.getClass().getSimpleName(), e);
        }
    }
}
