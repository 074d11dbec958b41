package io.edgemanifest.stargate;

/**
 * What a Stargate reports about its Consul datacenter at one moment.
 *
 * @param datacenter      the Consul datacenter's name
 * @param passingHosts    instances of the {@code host} service whose checks all pass
 * @param passingGateways instances of the {@code gateway} service whose checks all pass
 * @param sessions        Consul sessions in the datacenter
 */
public record StatusSnapshot(String datacenter, long passingHosts, long passingGateways, long sessions) {
    public StatusSnapshot {
        if (datacenter == null || datacenter.isBlank()) {
            throw new IllegalArgumentException("invalid datacenter '" + datacenter + "': must not be empty");
        }
        if (passingHosts < 0 || passingGateways < 0 || sessions < 0) {
            throw new IllegalArgumentException("negative count in status: hosts " + passingHosts
                    + ", gateways " + passingGateways + ", sessions " + sessions);
        }
    }
}
