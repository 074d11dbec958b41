package io.edgemanifest.core.enrol;

import io.edgemanifest.core.consul.ConsulToken;
import io.edgemanifest.core.enrol.proto.RotateReply;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces a host's Consul token every so often, without the host ever leaving the manifest:
 * {@code Rotate} (authorised by the current token) → the new token stored in the state dir → the
 * shared {@link ConsulToken} switched (every client reads it per request) → the presence registers
 * again with it (the agent keeps the token a service was registered with) → {@code
 * ConfirmRotation} (authorised by the new token), which deletes the old one. Key and session are
 * untouched. A step that fails leaves the old token valid: the next attempt starts over (and, when
 * failed rounds left the host at its cap of tokens, first confirms the token in force).
 */
public final class TokenRotation implements AutoCloseable {

    /** How long the presence may take to register again with the new token before we give up this round. */
    static final Duration REREGISTER_TIMEOUT = Duration.ofSeconds(30);

    private static final Logger log = LoggerFactory.getLogger(TokenRotation.class);

    private final String hostId;
    private final HostEnrolment.Stargate stargate;
    private final Path tokenFile;
    private final ConsulToken token;
    private final Supplier<CompletableFuture<Void>> reRegister;
    /** One rotation at a time (scheduled or asked for); close() never waits for it. */
    private final Object rotating = new Object();
    private volatile ScheduledFuture<?> schedule;

    /**
     * @param reRegister asks the host's current presence to register again with the token in force
     *                   (a supplier: the presence changes when the host migrates)
     */
    public TokenRotation(String hostId, HostEnrolment.Stargate stargate, Path tokenFile, ConsulToken token,
                         Supplier<CompletableFuture<Void>> reRegister) {
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.stargate = Objects.requireNonNull(stargate, "stargate");
        this.tokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
        this.token = Objects.requireNonNull(token, "token");
        this.reRegister = Objects.requireNonNull(reRegister, "reRegister");
    }

    /** Rotates every {@code every} (the first one after up to 10 % more, so hosts started together spread out). */
    public TokenRotation start(ScheduledExecutorService scheduler, Duration every) {
        if (every.isNegative() || every.isZero()) {
            throw new IllegalArgumentException("invalid rotation interval " + every + ": must be positive");
        }
        long period = every.toMillis();
        long first = period + ThreadLocalRandom.current().nextLong(Math.max(1, period / 10));
        schedule = scheduler.scheduleWithFixedDelay(this::rotateQuietly, first, period, TimeUnit.MILLISECONDS);
        return this;
    }

    private void rotateQuietly() {
        try {
            rotateOnce();
        } catch (RuntimeException e) {
            // An exception would cancel the schedule: the host would never rotate again.
            log.warn("{}: token rotation failed, keeping the current token until the next attempt: {}", hostId, e.getMessage());
        }
    }

    /**
     * One rotation, start to end.
     *
     * @throws EnrolmentException    when the Stargate refuses or does not answer
     * @throws IllegalStateException when the presence could not register with the new token (the old one stays valid)
     */
    public void rotateOnce() {
        synchronized (rotating) {
            String current = token.get();
            if (current == null) {
                throw new IllegalStateException("no token to rotate");
            }
            try (EnrolmentClient client = EnrolmentClient.connect(stargate.address(), stargate.caPin())) {
                RotateReply reply;
                try {
                    reply = client.rotate(hostId, current);
                } catch (EnrolmentException e) {
                    if (!holdsTooManyTokens(e)) {
                        throw e;
                    }
                    // Earlier rounds died after Rotate (their tokens never confirmed): the Stargate
                    // would refuse us forever. Register with the token in force first, so the agent
                    // holds none we are about to delete, then confirm it (deleting the others) and
                    // rotate as usual.
                    log.warn("{}: the Stargate holds the most tokens it allows for us; keeping the current one "
                            + "and deleting the others before rotating", hostId);
                    awaitReRegistered();
                    client.confirmRotation(hostId, current);
                    reply = client.rotate(hostId, current);
                }
                // Stored before use: if we die now we restart with the new token, which is valid.
                TokenFile.write(tokenFile, reply.getConsulToken());
                token.set(reply.getConsulToken());
                awaitReRegistered();
                int deleted = client.confirmRotation(hostId, reply.getConsulToken()).getDeletedTokens();
                log.info("{}: Consul token rotated to {} ({} old token(s) deleted)", hostId, reply.getAccessorId(), deleted);
            }
        }
    }

    /** The Stargate's answer when a host holds its cap of live tokens (FAILED_PRECONDITION). */
    private static boolean holdsTooManyTokens(EnrolmentException e) {
        return e.kind() == EnrolmentException.Kind.REFUSED && e.getCause() instanceof StatusRuntimeException status
                && status.getStatus().getCode() == Status.Code.FAILED_PRECONDITION;
    }

    private void awaitReRegistered() {
        try {
            reRegister.get().get(REREGISTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the presence did not register with the new token: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while registering with the new token", e);
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> scheduled = schedule;
        if (scheduled != null) {
            scheduled.cancel(false);
        }
    }
}
