package io.edgemanifest.core.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.ConsulExtension;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.agent.ImmutableRegistration;
import org.kiwiproject.consul.model.agent.Registration;
import org.kiwiproject.consul.model.health.Service;

/** One watch shared by many listeners: passing instances only, and latecomers get the current view at once. */
class PassingServiceWatchIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("sg-watch");

    @Test
    void listenersSeePassingInstancesAndALatecomerGetsTheCurrentViewAtOnce() throws Exception {
        Consul client = Consul.builder().withUrl(consul.agent().httpUrl()).withPing(false).build();
        try (PassingServiceWatch watch = new PassingServiceWatch(ConsulEndpoint.parse(consul.agent().httpUrl(), null), "gateway")) {
            AtomicReference<Map<String, Service>> first = new AtomicReference<>(Map.of());
            watch.onChange(first::set).start();
            client.agentClient().register(ImmutableRegistration.builder().id("gw-1").name("gateway")
                    .check(Registration.RegCheck.ttl(30L)).build());
            client.agentClient().register(ImmutableRegistration.builder().id("gw-2").name("gateway")
                    .check(Registration.RegCheck.ttl(30L)).build());
            client.agentClient().pass("gw-1"); // gw-2 stays critical

            await().atMost(Duration.ofSeconds(10)).until(() -> first.get().containsKey("gw-1"));
            assertThat(first.get()).doesNotContainKey("gw-2");

            AtomicReference<Map<String, Service>> latecomer = new AtomicReference<>();
            watch.onChange(latecomer::set);
            assertThat(latecomer.get()).as("delivered during onChange, not at the next change").containsOnlyKeys("gw-1");

            watch.removeListener(first::set); // a different lambda instance: must not remove anything
            client.agentClient().pass("gw-2");
            await().atMost(Duration.ofSeconds(10)).until(() -> latecomer.get().containsKey("gw-2"));
            assertThat(first.get()).containsKey("gw-2");
        } finally {
            client.destroy();
        }
    }
}
