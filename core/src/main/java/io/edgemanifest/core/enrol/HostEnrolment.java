package io.edgemanifest.core.enrol;

import io.edgemanifest.core.enrol.proto.EnrolReply;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host's Consul credential, kubeadm-join style: {@code <state-dir>/consul-token} if the host
 * enrolled before, otherwise one exchange of a join token at the Stargate it names — over TLS
 * trusting only the CA the join token pins — for a token scoped to this host alone, stored with
 * mode 0600. Where to rotate later (the Stargate's address and CA pin) is kept beside it, so the
 * join token file can be deleted once used.
 */
public final class HostEnrolment {

    public static final String TOKEN_FILE = "consul-token";
    /** {@code host:port} of the Stargate that enrolled us: where rotations go. */
    public static final String STARGATE_FILE = "stargate-enrol-address";
    /** SHA-256 of that Stargate's enrolment CA certificate. */
    public static final String PIN_FILE = "stargate-ca-sha256";

    private static final Logger log = LoggerFactory.getLogger(HostEnrolment.class);

    /** Where rotations go, as recorded at enrolment. */
    public record Stargate(HostPort address, String caPin) {
        public Stargate {
            Objects.requireNonNull(address, "address");
            new PinnedTrustManager(caPin); // validates the pin
        }
    }

    private HostEnrolment() {
    }

    public static Path tokenFile(Path stateDir) {
        return stateDir.resolve(TOKEN_FILE);
    }

    /** The stored token, if this host enrolled before. */
    public static Optional<String> storedToken(Path stateDir) {
        return TokenFile.read(tokenFile(stateDir));
    }

    /** The Stargate this host enrolled at, if recorded. */
    public static Optional<Stargate> stargate(Path stateDir) {
        Optional<String> address = TokenFile.read(stateDir.resolve(STARGATE_FILE));
        Optional<String> pin = TokenFile.read(stateDir.resolve(PIN_FILE));
        if (address.isEmpty() || pin.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Stargate(HostPort.parse(address.get(), stateDir.resolve(STARGATE_FILE).toString()), pin.get()));
    }

    /**
     * The host's token: the stored one if there is one (no enrolment, the join token is not even
     * read), else the one obtained by enrolling at {@code stargate} with the join token in
     * {@code joinTokenFile}.
     *
     * @throws IllegalArgumentException (exit 2, one line) for a malformed or oversized join token, a
     *                                  Stargate that is not the pinned one, or a refusal; nothing is written then
     * @throws EnrolmentException       when the Stargate does not answer or fails (worth retrying)
     */
    public static String loadOrEnrol(Path stateDir, String hostId, HostPort stargate, Path joinTokenFile) {
        Optional<String> stored = storedToken(stateDir);
        if (stored.isPresent()) {
            log.info("{}: using the Consul token stored in {} (already enrolled)", hostId, tokenFile(stateDir));
            return stored.get();
        }
        Objects.requireNonNull(stargate, "stargate");
        if (joinTokenFile == null) {
            throw new IllegalArgumentException("--enrol needs --join-token-file (or EDGE_JOIN_TOKEN_FILE): "
                    + tokenFile(stateDir) + " does not exist yet");
        }
        JoinToken joinToken = JoinToken.readFile(joinTokenFile);
        EnrolReply reply;
        try (EnrolmentClient client = EnrolmentClient.connect(stargate, joinToken.caPin())) {
            reply = client.enrol(joinToken, hostId);
        } catch (EnrolmentException e) {
            if (e.kind() == EnrolmentException.Kind.REFUSED || e.kind() == EnrolmentException.Kind.UNTRUSTED) {
                throw new IllegalArgumentException(e.getMessage());
            }
            throw e;
        }
        // Where to rotate first, the token last: a token file always comes with its Stargate.
        TokenFile.writeOwnerOnly(stateDir.resolve(STARGATE_FILE), stargate + "\n");
        TokenFile.writeOwnerOnly(stateDir.resolve(PIN_FILE), joinToken.caPin() + "\n");
        TokenFile.write(tokenFile(stateDir), reply.getConsulToken());
        log.info("{}: enrolled at stargate {} (ACL token {}, valid in {})", hostId, stargate, reply.getAccessorId(),
                reply.getDatacentersList());
        return reply.getConsulToken();
    }
}
