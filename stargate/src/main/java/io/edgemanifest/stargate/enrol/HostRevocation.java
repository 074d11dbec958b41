package io.edgemanifest.stargate.enrol;

import io.edgemanifest.core.acl.AclAdmin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.kiwiproject.consul.Consul;

/**
 * Banning a host, in the one order that leaves no gap: the records first (from that moment no
 * Stargate enrols, rotates or confirms for the ID, whatever fails next), then {@link
 * AclAdmin#revokeHost} (policy emptied, tokens deleted, service deregistered everywhere). Used by
 * {@code stargate host revoke} and by the node guard.
 *
 * @param left what did not happen (re-running finishes the job); empty when complete
 */
public record HostRevocation(AclAdmin.Revocation acl, List<String> left) {

    public static HostRevocation revoke(Consul consul, AclAdmin admin, String hostId, Instant at) {
        List<String> unmarked = EnrolmentStore.markRevokedEverywhere(consul, hostId, at);
        AclAdmin.Revocation revocation = admin.revokeHost(hostId);
        List<String> left = new ArrayList<>();
        unmarked.forEach(dc -> left.add("datacenter " + dc + ": revocation not recorded"));
        left.addAll(revocation.failures());
        return new HostRevocation(revocation, List.copyOf(left));
    }

    public boolean complete() {
        return acl.complete() && left.isEmpty();
    }
}
