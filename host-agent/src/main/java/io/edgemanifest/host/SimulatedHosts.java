package io.edgemanifest.host;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N virtual hosts in one JVM, each a full {@link HostAgent} (own identity, session, heartbeat,
 * gateway choice), with optional churn: every interval one random host leaves or comes back, a
 * third of the time in another datacenter. They share a small scheduler pool and one gateway
 * watch per datacenter, so N hosts cost N sessions and heartbeats, not N threads and N watches.
 */
final class SimulatedHosts implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SimulatedHosts.class);

    private final HostAgentConfig base;
    private final int count;
    private final Duration churn;
    private final List<HostAgent> hosts = new ArrayList<>();
    /** All virtual hosts share a few threads and one gateway watch per datacenter. */
    private final ScheduledExecutorService scheduler;
    private final java.util.Map<io.edgemanifest.core.consul.ConsulEndpoint, io.edgemanifest.core.consul.PassingServiceWatch> watches =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final Random random = new Random();
    private final ScheduledExecutorService churner = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "host-churn");
        t.setDaemon(true);
        return t;
    });

    SimulatedHosts(HostAgentConfig base, int count, Duration churn) {
        this.base = base;
        this.count = count;
        this.churn = churn;
        int threads = Math.max(2, Math.min(16, count / 250));
        this.scheduler = Executors.newScheduledThreadPool(threads, r -> {
            Thread t = new Thread(r, "virtual-hosts");
            t.setDaemon(true);
            return t;
        });
    }

    private HostAgent newHost(HostAgentConfig config) {
        return new HostAgent(config, scheduler, endpoint -> watches.computeIfAbsent(endpoint,
                e -> new io.edgemanifest.core.consul.PassingServiceWatch(e, "gateway").start()));
    }

    private HostAgentConfig configOf(int i) {
        return configOf(i, base.datacenters());
    }

    private HostAgentConfig configOf(int i, List<io.edgemanifest.core.consul.ConsulEndpoint> datacenters) {
        return new HostAgentConfig(datacenters, base.stateDir().resolve("sim-" + i), base.check(),
                base.location(), base.labels(), base.migrateAfter(), base.deregisterAfter(), base.version());
    }

    synchronized SimulatedHosts start() {
        for (int i = 0; i < count; i++) {
            hosts.add(newHost(configOf(i)).start());
        }
        log.info("{} virtual hosts started", count);
        if (churn != null) {
            churner.scheduleWithFixedDelay(this::churnOnce, churn.toMillis(), churn.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private synchronized void churnOnce() {
        int i = random.nextInt(count);
        HostAgent host = hosts.get(i);
        if (host == null) {
            // A third of the returns attach elsewhere: the same host, migrated to another datacenter.
            boolean migrate = base.datacenters().size() > 1 && random.nextInt(3) == 0;
            List<io.edgemanifest.core.consul.ConsulEndpoint> order = new ArrayList<>(base.datacenters());
            if (migrate) {
                java.util.Collections.rotate(order, -1 - random.nextInt(order.size() - 1));
            }
            hosts.set(i, newHost(configOf(i, order)).start());
            log.info("churn: virtual host {} is back{}", i, migrate ? " in another datacenter" : "");
        } else {
            host.close();
            hosts.set(i, null);
            log.info("churn: virtual host {} left", i);
        }
    }

    @Override
    public synchronized void close() {
        churner.shutdownNow();
        hosts.stream().filter(h -> h != null).parallel().forEach(HostAgent::close);
        hosts.clear();
        watches.values().forEach(io.edgemanifest.core.consul.PassingServiceWatch::close);
        scheduler.shutdownNow();
    }
}
