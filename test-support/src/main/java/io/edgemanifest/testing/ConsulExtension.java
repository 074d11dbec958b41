package io.edgemanifest.testing;

import java.util.Collection;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Gives a test class real Consul datacenters, WAN-joined:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ConsulExtension consul = ConsulExtension.datacenters("sg-a", "sg-b");
 * ... consul.datacenter("sg-a").httpUrl() ...
 * }</pre>
 *
 * A static field shares the datacenters across the class; an instance field gives every test
 * fresh ones. If Consul cannot be found or started, the test fails with the reason — never skips.
 */
public final class ConsulExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    private final String[] names;
    private final boolean acls;
    private ConsulDatacenters datacenters;
    private boolean perTest;

    private ConsulExtension(boolean acls, String... names) {
        this.acls = acls;
        this.names = names.clone();
    }

    public static ConsulExtension datacenters(String... names) {
        return new ConsulExtension(false, names);
    }

    /**
     * Datacenters with ACLs on (default deny): {@code primary} holds the ACL system, the others
     * replicate its tokens — as production runs. See {@link ConsulDatacenters#startWithAcls}.
     */
    public static ConsulExtension datacentersWithAcls(String primary, String... secondaries) {
        String[] names = new String[secondaries.length + 1];
        names[0] = primary;
        System.arraycopy(secondaries, 0, names, 1, secondaries.length);
        return new ConsulExtension(true, names);
    }

    /** One datacenter named {@code dc1}. */
    public static ConsulExtension single() {
        return new ConsulExtension(false, "dc1");
    }

    private ConsulDatacenters startDatacenters() {
        return acls ? ConsulDatacenters.startWithAcls(names[0], java.util.Arrays.copyOfRange(names, 1, names.length))
                : ConsulDatacenters.start(names);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        datacenters = startDatacenters();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        closeDatacenters();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (datacenters == null) {
            perTest = true;
            datacenters = startDatacenters();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perTest) {
            closeDatacenters();
        }
    }

    private void closeDatacenters() {
        if (datacenters != null) {
            datacenters.close();
            datacenters = null;
        }
    }

    public ConsulAgent datacenter(String name) {
        return running().get(name);
    }

    /** The first (or only) datacenter. */
    public ConsulAgent agent() {
        return running().first();
    }

    public Collection<ConsulAgent> all() {
        return running().all();
    }

    public ConsulDatacenters group() {
        return running();
    }

    private ConsulDatacenters running() {
        if (datacenters == null) {
            throw new IllegalStateException("Consul datacenters are not started: register the extension with @RegisterExtension");
        }
        return datacenters;
    }
}
