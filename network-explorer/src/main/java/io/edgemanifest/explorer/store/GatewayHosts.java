package io.edgemanifest.explorer.store;

import java.util.Map;

/** A gateway of a datacenter and the hosts whose record names it, by status. */
public record GatewayHosts(String id, DeviceStatus status, Map<DeviceStatus, Long> hosts) {

    public GatewayHosts {
        hosts = Map.copyOf(hosts);
    }
}
