package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PromQlTest {

    @Test
    void aggregationsFunctionsAndRangesAreNotMetrics() {
        PromQl.Names names = PromQl.names(
                "histogram_quantile(0.99, sum by (source, le) (rate(replicate_lag_seconds_bucket[5m]))) > 5");
        assertThat(names.metrics()).containsExactly("replicate_lag_seconds_bucket");
        assertThat(names.groupingLabels()).containsExactlyInAnyOrder("source", "le");
    }

    @Test
    void labelMatchersBelongToTheirMetricWithTheValueOfAnEqualityMatcher() {
        PromQl.Names names = PromQl.names("sum(explorer_devices{status=\"online\", datacenter=~\"$datacenter\"}) by (datacenter)");
        Map<String, String> matchers = new java.util.LinkedHashMap<>();
        matchers.put("status", "online");
        matchers.put("datacenter", null); // a regex with a variable: no value to check
        assertThat(names.selectors()).containsExactly(new PromQl.Selector("explorer_devices", matchers));
        assertThat(names.groupingLabels()).containsExactly("datacenter");
    }

    @Test
    void offsetsVectorMatchingAndGrafanaVariablesAreSkipped() {
        PromQl.Names names = PromQl.names("""
                sum by (datacenter) (explorer_devices{status="online"})
                  < 0.8 * sum by (datacenter) (explorer_devices{status="online"} offset 10m)
                and on (kind) group_left max by (kind) (explorer_availability_target_ratio)
                unless rate(edge_presence_heartbeat_seconds_count[$__rate_interval]) > ${threshold}
                """);
        assertThat(names.metrics()).containsExactly("explorer_devices", "explorer_availability_target_ratio",
                "edge_presence_heartbeat_seconds_count");
        assertThat(names.groupingLabels()).containsExactlyInAnyOrder("datacenter", "kind");
    }

    @Test
    void stringsNumbersAndBareSelectorsByName() {
        PromQl.Names names = PromQl.names("label_replace(up, \"x\", \"sum by (a) (b)\", \"y\", \".*\") * 1e3 + {__name__=\"stargate_sessions\"}");
        assertThat(names.metrics()).containsExactly("up", "stargate_sessions");
        assertThat(names.groupingLabels()).isEmpty();
    }

    @Test
    void aMalformedMatcherIsAnError() {
        assertThatThrownBy(() -> PromQl.names("explorer_devices{status online}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("status");
    }
}
