package io.edgemanifest.host;

import io.edgemanifest.core.time.Ticker;
import java.time.Duration;
import java.time.Instant;

/**
 * The clocks of a machine whose wall clock gets stepped (NTP answering for the first time after
 * boot): the monotonic clock runs on, as the kernel's CLOCK_MONOTONIC does, and the wall clock jumps.
 */
final class SteppingTicker implements Ticker {

    private volatile Duration offset = Duration.ZERO;

    void step(Duration by) {
        offset = offset.plus(by);
    }

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public Instant wallTime() {
        return Instant.now().plus(offset);
    }
}
