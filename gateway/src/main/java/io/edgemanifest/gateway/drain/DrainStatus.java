package io.edgemanifest.gateway.drain;

import java.time.Duration;
import java.util.Objects;

/**
 * One look at a draining gateway: how many hosts still name it, how many other gateways pass (where
 * they can go), and what that means.
 */
public record DrainStatus(Outcome outcome, long attachedHosts, long otherPassingGateways, Duration elapsed) {

    /**
     * Where a drain stands; every value but {@link #DRAINING} ends it. {@link #REFUSED}: the operator
     * asked to drain the last passing gateway, which stays SERVING.
     */
    public enum Outcome {
        DRAINING, DRAINED, NOWHERE_TO_GO, TIMED_OUT, ABORTED, REFUSED;

        public boolean done() {
            return this != DRAINING;
        }
    }

    public DrainStatus {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(elapsed, "elapsed");
        if (attachedHosts < 0 || otherPassingGateways < 0) {
            throw new IllegalArgumentException("negative counts: " + attachedHosts + "/" + otherPassingGateways);
        }
    }

    /**
     * The outcome of one look. No host attached ends the drain however long it took; with no other
     * gateway passing, the hosts have nowhere to go (they would only switch to "no gateway") and
     * waiting out the timeout would change nothing for them.
     */
    public static DrainStatus of(long attachedHosts, long otherPassingGateways, Duration elapsed, Duration timeout) {
        Outcome outcome;
        if (attachedHosts == 0) {
            outcome = Outcome.DRAINED;
        } else if (otherPassingGateways == 0) {
            outcome = Outcome.NOWHERE_TO_GO;
        } else if (elapsed.compareTo(timeout) >= 0) {
            outcome = Outcome.TIMED_OUT;
        } else {
            outcome = Outcome.DRAINING;
        }
        return new DrainStatus(outcome, attachedHosts, otherPassingGateways, elapsed);
    }

    /** The drain was cut short (a second signal, Consul not answering): the counts are the last known. */
    public DrainStatus aborted() {
        return new DrainStatus(Outcome.ABORTED, attachedHosts, otherPassingGateways, elapsed);
    }

    /** One line for logs and the {@code drain} command. */
    public String describe(String gatewayId) {
        String seconds = String.format(java.util.Locale.ROOT, "%.1f s", elapsed.toMillis() / 1000.0);
        return switch (outcome) {
            case DRAINING -> gatewayId + ": draining, " + attachedHosts + " hosts still attached, "
                    + otherPassingGateways + " other gateways passing (" + seconds + ")";
            case DRAINED -> gatewayId + ": drained in " + seconds + ": no host names it";
            case NOWHERE_TO_GO -> gatewayId + ": no other gateway passes: " + attachedHosts
                    + " hosts have nowhere to move, not waiting (" + seconds + ")";
            case TIMED_OUT -> gatewayId + ": drain timed out after " + seconds + " with " + attachedHosts
                    + " hosts still attached";
            case REFUSED -> gatewayId + ": not draining: no other gateway passes, so it would take the last way in "
                    + "out of service; still SERVING";
            case ABORTED -> gatewayId + ": drain cut short after " + seconds + " (" + attachedHosts
                    + " hosts attached when last seen)";
        };
    }
}
