package io.edgemanifest.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTest {

    private static final Prometheus SCRAPE = new Prometheus("""
            # HELP edge_presence_heartbeat_seconds TTL heartbeats
            # TYPE edge_presence_heartbeat_seconds histogram
            edge_presence_heartbeat_seconds_bucket{kind="host",le="0.001"} 3
            edge_presence_heartbeat_seconds_bucket{kind="host",le="0.002"} 7
            edge_presence_heartbeat_seconds_bucket{kind="host",le="+Inf"} 8
            edge_presence_heartbeat_seconds_bucket{kind="gateway",le="0.001"} 1
            edge_presence_heartbeat_seconds_bucket{kind="gateway",le="0.002"} 1
            edge_presence_heartbeat_seconds_bucket{kind="gateway",le="+Inf"} 1
            edge_presence_heartbeat_seconds_count{kind="host"} 8
            edge_presence_sessions_lost_total{kind="host"} 2.0
            edge_presence_sessions_lost_total{kind="gateway"} 1.0
            edge_presence_sessions_lost_totally_different 100
            """);

    @Test
    void valueAddsUpEveryLabelSetOfExactlyThatName() {
        assertThat(SCRAPE.value("edge_presence_sessions_lost_total")).isEqualTo(3.0);
        assertThat(SCRAPE.value("edge_presence_missing_total")).isZero();
    }

    @Test
    void valueWithALabelAddsUpOnlyTheLabelSetsHoldingIt() {
        Prometheus jvm = new Prometheus("""
                jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 100.0
                jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 20.0
                jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5000.0
                """);
        assertThat(jvm.value("jvm_memory_used_bytes", "area=\"heap\"")).isEqualTo(120.0);
        assertThat(jvm.value("jvm_memory_used_bytes", "area=\"stack\"")).isZero();
    }

    @Test
    void histogramAddsUpBucketsAcrossLabelSets() {
        Histogram h = SCRAPE.histogram("edge_presence_heartbeat_seconds");
        assertThat(h.count()).isEqualTo(9);
        assertThat(h.cumulative()).containsEntry(0.001, 4.0).containsEntry(0.002, 8.0);
    }
}
