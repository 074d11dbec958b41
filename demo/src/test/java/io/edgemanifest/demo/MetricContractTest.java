package io.edgemanifest.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MetricContractTest {

    private static final Exposition EXPORTED = new Exposition().add("""
            # HELP explorer_devices devices
            # TYPE explorer_devices gauge
            explorer_devices{datacenter="sg-a",kind="host",status="online"} 3.0
            explorer_devices{datacenter="sg-a",kind="host",status="offline"} 1.0
            replicate_lag_seconds_bucket{source="sg-a",le="0.5"} 2
            replicate_lag_seconds_bucket{source="sg-a",le="+Inf"} 2
            replicate_lag_seconds_count{source="sg-a"} 2
            # HELP explorer_events_recorded_total events appended
            # TYPE explorer_events_recorded counter
            explorer_events_recorded_total 7.0
            # TYPE explorer_events gauge
            explorer_events 7.0
            """);

    @Test
    void exportedMetricsLabelsAndValuesPass() {
        assertThat(MetricContract.violations("q", "sum by (datacenter, instance) (explorer_devices{status=\"online\"})", EXPORTED)).isEmpty();
        assertThat(MetricContract.violations("q",
                "histogram_quantile(0.99, sum by (source, le) (rate(replicate_lag_seconds_bucket[5m])))", EXPORTED)).isEmpty();
        assertThat(MetricContract.violations("v", "label_values(explorer_devices, datacenter)", EXPORTED)).isEmpty();
    }

    @Test
    void anUnknownMetricLabelValueOrGroupingLabelIsNamed() {
        assertThat(MetricContract.violations("q", "explorer_device{status=\"online\"}", EXPORTED))
                .containsExactly("q: metric explorer_device is exported by no process");
        assertThat(MetricContract.violations("q", "explorer_devices{state=\"online\"}", EXPORTED))
                .singleElement().asString().contains("has no label 'state'");
        assertThat(MetricContract.violations("q", "explorer_devices{status=\"up\"}", EXPORTED))
                .singleElement().asString().contains("status=\"up\"} matches no exported series");
        assertThat(MetricContract.violations("q", "sum by (region) (explorer_devices)", EXPORTED))
                .singleElement().asString().contains("groups by label 'region'");
        assertThat(MetricContract.violations("v", "label_values(replicate_lag_seconds_count, datacenter)", EXPORTED))
                .singleElement().asString().contains("label_values reads label 'datacenter'");
    }

    @Test
    void rateOverAGaugeIsNamedOverACounterOrInOverTimeFunctionsItIsNot() {
        assertThat(MetricContract.violations("q", "sum by (instance) (rate(explorer_events[5m]))", EXPORTED))
                .containsExactly("q: rate()/increase() over explorer_events, a gauge (export a counter instead)");
        assertThat(MetricContract.violations("q", "increase(explorer_events[1h]) > 0", EXPORTED)).hasSize(1);
        assertThat(MetricContract.violations("q", "sum by (instance) (rate(explorer_events_recorded_total[5m]))", EXPORTED)).isEmpty();
        assertThat(MetricContract.violations("q", "max_over_time(explorer_events[5m]) - rate(explorer_events_recorded_total[5m])",
                EXPORTED)).isEmpty();
    }

    @Test
    void theRulesFileAndTheDashboardYieldEveryExpression() throws Exception {
        Path root = Path.of("..").toAbsolutePath().normalize();
        var rules = MetricContract.ruleExpressions(Files.readString(root.resolve("deploy/prometheus/alerts.yml")));
        assertThat(rules).containsKeys("alert ReplicateSourceDown", "alert DatacenterDevicesDrop", "alert EdgeSessionsLost")
                .hasSizeGreaterThanOrEqualTo(10);
        assertThat(rules.get("alert DatacenterDevicesDrop")).contains("offset 10m").contains(">= 10");
        var dashboard = MetricContract.dashboardQueries(Files.readString(root.resolve("deploy/grafana/edge-manifest.json")));
        assertThat(dashboard).containsKey("variable datacenter").hasSizeGreaterThanOrEqualTo(10);
        // Against nothing exported every query is a violation: the check cannot pass vacuously.
        assertThat(MetricContract.violations(root, new Exposition())).hasSizeGreaterThanOrEqualTo(rules.size() + dashboard.size() - 1);
    }
}
