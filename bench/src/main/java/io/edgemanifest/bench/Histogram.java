package io.edgemanifest.bench;

import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * A cumulative histogram as Prometheus exposes it ({@code _bucket{le="..."}}), and quantiles over
 * the observations between two scrapes: a benchmark window's latency, not the process lifetime's.
 */
record Histogram(NavigableMap<Double, Double> cumulative) {

    static Histogram of(Map<Double, Double> buckets) {
        return new Histogram(new TreeMap<>(buckets));
    }

    /** Observations made after {@code earlier} was scraped. */
    Histogram minus(Histogram earlier) {
        TreeMap<Double, Double> delta = new TreeMap<>();
        cumulative.forEach((le, count) -> delta.put(le, count - earlier.cumulative.getOrDefault(le, 0.0)));
        return new Histogram(delta);
    }

    double count() {
        return cumulative.isEmpty() ? 0 : cumulative.lastEntry().getValue();
    }

    /**
     * The {@code q} quantile, interpolated linearly inside its bucket (as PromQL's
     * histogram_quantile does); NaN without observations. Its error is at most one bucket's width.
     */
    double quantile(double q) {
        double total = count();
        if (total <= 0) {
            return Double.NaN;
        }
        double rank = q * total;
        double lowerBound = 0;
        double lowerCount = 0;
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            if (bucket.getValue() >= rank) {
                if (bucket.getKey().isInfinite()) {
                    return lowerBound; // beyond the last finite bound: report that bound
                }
                double inBucket = bucket.getValue() - lowerCount;
                return inBucket <= 0 ? bucket.getKey()
                        : lowerBound + (bucket.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
            }
            lowerBound = bucket.getKey();
            lowerCount = bucket.getValue();
        }
        return lowerBound;
    }
}
