package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.option.ImmutableQueryOptions;

class ConsulHarnessIT {

    @RegisterExtension
    static final ConsulExtension consul = ConsulExtension.datacenters("dc-east", "dc-west");

    private static Consul client(ConsulAgent agent) {
        return Consul.builder().withUrl(agent.httpUrl()).build();
    }

    @Test
    void wanJoinedDatacentersListEachOther() {
        Consul east = client(consul.datacenter("dc-east"));
        Consul west = client(consul.datacenter("dc-west"));
        try {
            assertThat(east.catalogClient().getDatacenters()).contains("dc-east", "dc-west");
            assertThat(west.catalogClient().getDatacenters()).contains("dc-east", "dc-west");
        } finally {
            east.destroy();
            west.destroy();
        }
    }

    @Test
    void keyWrittenInOneDatacenterIsReadFromTheOtherWithDc() {
        Consul east = client(consul.datacenter("dc-east"));
        Consul west = client(consul.datacenter("dc-west"));
        try {
            assertThat(east.keyValueClient().putValue("manifest/config/motd", "hello from east")).isTrue();

            var viaWest = west.keyValueClient().getValue("manifest/config/motd",
                    ImmutableQueryOptions.builder().datacenter("dc-east").build()).flatMap(v -> v.getValueAsString());
            var localWest = west.keyValueClient().getValueAsString("manifest/config/motd");

            assertThat(viaWest).contains("hello from east");
            assertThat(localWest).as("the key lives only in dc-east").isEmpty();
        } finally {
            east.destroy();
            west.destroy();
        }
    }

    @Test
    void stoppedDatacenterRestartsOnTheSamePortsAndRejoinsTheWan() {
        ConsulAgent west = consul.datacenter("dc-west");
        int port = west.ports().http();
        long oldPid = west.pid();

        west.stop();
        assertThat(west.isRunning()).isFalse();
        assertThat(ProcessHandle.of(oldPid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));

        west.start();
        assertThat(west.ports().http()).isEqualTo(port);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(west.datacenters()).contains("\"dc-east\"", "\"dc-west\""));
    }
}
