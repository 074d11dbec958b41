package io.edgemanifest.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import org.junit.jupiter.api.Test;

class HistogramTest {

    private static Histogram cumulative(double le1, double c1, double le2, double c2, double inf) {
        return Histogram.of(Map.of(le1, c1, le2, c2, Double.POSITIVE_INFINITY, inf));
    }

    @Test
    void quantileInterpolatesInsideTheBucketThatHoldsTheRank() {
        // 100 observations: 50 up to 1 ms, 50 between 1 and 3 ms.
        Histogram h = cumulative(0.001, 50, 0.003, 100, 100);
        assertThat(h.quantile(0.5)).isCloseTo(0.001, within(1e-9));
        assertThat(h.quantile(0.75)).isCloseTo(0.002, within(1e-9));
        assertThat(h.quantile(0.99)).isCloseTo(0.00296, within(1e-9));
    }

    @Test
    void windowIsTheDifferenceOfTwoScrapes() {
        Histogram before = cumulative(0.001, 40, 0.003, 40, 40);
        Histogram after = cumulative(0.001, 40, 0.003, 140, 140);
        Histogram window = after.minus(before);
        assertThat(window.count()).isEqualTo(100);
        assertThat(window.quantile(0.5)).isCloseTo(0.002, within(1e-9)); // all 100 new ones are slow
    }

    @Test
    void noObservationsIsNaNAndBeyondTheLastBoundIsThatBound() {
        assertThat(cumulative(0.001, 0, 0.003, 0, 0).quantile(0.5)).isNaN();
        assertThat(cumulative(0.001, 0, 0.003, 0, 10).quantile(0.99)).isEqualTo(0.003);
    }
}
