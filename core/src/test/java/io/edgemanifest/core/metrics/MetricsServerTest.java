package io.edgemanifest.core.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

    @Test
    void servesTheRegistryInPrometheusTextFormat() throws Exception {
        var registry = MetricsServer.newRegistry();
        registry.counter("edge_test_events", "source", "sg-a").increment(3);
        try (MetricsServer server = new MetricsServer(registry, "127.0.0.1", 0)) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("edge_test_events_total{source=\"sg-a\"} 3.0");
        }
    }

    @Test
    void rejectsAnInvalidPort() {
        assertThatThrownBy(() -> new MetricsServer(MetricsServer.newRegistry(), "127.0.0.1", 70_000))
                .hasMessageContaining("70000");
    }
}
