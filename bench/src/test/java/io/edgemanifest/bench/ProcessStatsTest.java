package io.edgemanifest.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessStatsTest {

    @Test
    void readsThisProcessCpuAndMemoryFromProc() {
        long pid = ProcessHandle.current().pid();
        ProcessStats.Sample before = ProcessStats.sample(pid);
        long sink = 0;
        long until = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < until) { // burn CPU so that the next sample must show more
            sink += Long.numberOfTrailingZeros(sink + System.nanoTime());
        }
        ProcessStats.Sample after = ProcessStats.sample(pid);
        assertThat(sink).isNotNegative();
        assertThat(after.cpuSeconds()).isGreaterThan(before.cpuSeconds());
        assertThat(after.cpuPercentSince(before)).isPositive();
        assertThat(after.rssBytes()).isGreaterThan(1 << 20);
        assertThat(after.peakRssBytes()).isGreaterThanOrEqualTo(after.rssBytes());
    }

    @Test
    void aProcessThatIsGoneIsAClearError() {
        assertThatThrownBy(() -> ProcessStats.sample(Integer.MAX_VALUE))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("pid " + Integer.MAX_VALUE);
    }
}
