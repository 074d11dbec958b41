package io.edgemanifest.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Several real Consul datacenters on one machine, WAN-joined to each other, as the edge network
 * runs them: one per Stargate plus the Explorer's. Each can be stopped and restarted on its ports;
 * a restarted one rejoins the WAN pool by itself.
 */
public final class ConsulDatacenters implements AutoCloseable {

    private static final Duration WAN_TIMEOUT = Duration.ofSeconds(30);
    private final Map<String, ConsulAgent> agents = new LinkedHashMap<>();

    private ConsulDatacenters() {
    }

    /** Starts one agent per name and, when there is more than one, WAN-joins them all. */
    public static ConsulDatacenters start(String... names) {
        return start(false, names);
    }

    /**
     * Starts {@code primary} (it holds the ACL system: the Explorer's datacenter in production) and
     * the secondaries with ACLs on and default deny, secondaries replicating the primary's tokens,
     * all WAN-joined. {@link ConsulAgent#masterToken()} is the management token everywhere.
     */
    public static ConsulDatacenters startWithAcls(String primary, String... secondaries) {
        String[] names = new String[secondaries.length + 1];
        names[0] = primary;
        System.arraycopy(secondaries, 0, names, 1, secondaries.length);
        return start(true, names);
    }

    private static ConsulDatacenters start(boolean acls, String... names) {
        if (names.length == 0) {
            throw new IllegalArgumentException("at least one datacenter name is needed");
        }
        Path binary = ConsulBinary.locate();
        Path logDir = ConsulAgent.defaultLogDir();
        ConsulDatacenters group = new ConsulDatacenters();
        ConsulAgent.Acl acl = acls ? new ConsulAgent.Acl(names[0], java.util.UUID.randomUUID().toString()) : null;
        try {
            for (String name : names) {
                if (group.agents.containsKey(name)) {
                    throw new IllegalArgumentException("datacenter named twice: " + name);
                }
                group.agents.put(name, new ConsulAgent(name, binary, logDir, () -> group.wanPeersOf(name), acl));
            }
            for (ConsulAgent agent : group.agents.values()) {
                agent.joinGroup(group::all);
                agent.start();
            }
            group.joinAll();
            return group;
        } catch (RuntimeException e) {
            group.close();
            throw e;
        }
    }

    private List<String> wanPeersOf(String name) {
        List<String> peers = new ArrayList<>();
        agents.forEach((other, agent) -> {
            if (!other.equals(name)) {
                peers.add(agent.serfWanAddress());
            }
        });
        return peers;
    }

    private void joinAll() {
        List<ConsulAgent> list = new ArrayList<>(agents.values());
        for (int i = 1; i < list.size(); i++) {
            list.get(i).joinWan(list.get(0));
        }
        awaitWanConverged();
    }

    /** Waits until every running agent lists every running datacenter. */
    public void awaitWanConverged() {
        Instant deadline = Instant.now().plus(WAN_TIMEOUT);
        List<ConsulAgent> running = agents.values().stream().filter(ConsulAgent::isRunning).toList();
        while (true) {
            boolean all = running.stream().allMatch(a -> running.stream()
                    .allMatch(b -> a.datacenters().contains("\"" + b.datacenter() + "\"")));
            if (all) {
                return;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("datacenters did not see each other over WAN within "
                        + WAN_TIMEOUT.toSeconds() + " s: " + agents.keySet());
            }
            ConsulAgent.pause(Duration.ofMillis(100));
        }
    }

    public ConsulAgent get(String name) {
        ConsulAgent agent = agents.get(name);
        if (agent == null) {
            throw new IllegalArgumentException("no datacenter " + name + " (have " + agents.keySet() + ")");
        }
        return agent;
    }

    /** The first datacenter: handy for tests that need only one. */
    public ConsulAgent first() {
        return agents.values().iterator().next();
    }

    public Collection<ConsulAgent> all() {
        return Collections.unmodifiableCollection(agents.values());
    }

    @Override
    public void close() {
        agents.values().forEach(ConsulAgent::close);
    }
}
