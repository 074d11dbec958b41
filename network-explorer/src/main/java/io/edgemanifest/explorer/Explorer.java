package io.edgemanifest.explorer;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.ingest.ReplicaIngest;
import io.edgemanifest.explorer.store.DeviceStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Network Explorer: ingest from the replica into the store, and the API and UI over the store. */
public final class Explorer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Explorer.class);

    private final DeviceStore store;
    /** The running ingest while this Explorer holds the ingest lease; null on standby. */
    private volatile ReplicaIngest ingest;
    private final java.util.function.Supplier<ReplicaIngest> newIngest;
    private final io.edgemanifest.explorer.ha.HaConfig ha;
    private final ConsulEndpoint consul;
    private final String instanceId = "network-explorer-" + java.util.UUID.randomUUID();
    private io.edgemanifest.explorer.ha.IngestLeadership leadership;
    private final io.edgemanifest.explorer.ha.StandbyStatus standbyStatus;
    private final java.util.concurrent.atomic.AtomicLong changesBefore = new java.util.concurrent.atomic.AtomicLong();
    private final ExplorerApi api;
    private final ScheduledExecutorService scheduler;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final io.edgemanifest.explorer.auth.WebConfig web;
    /** /metrics on its own address (--metrics), or null when the API port serves it. */
    private io.edgemanifest.core.metrics.MetricsServer metricsServer;

    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock) {
        this(consul, store, targets, clock, ReplicaIngest.DEFAULT_RECORD_GRACE);
    }

    /** @param recordGrace how long a device whose check passes may miss its record before it is OFFLINE */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace) {
        this(consul, store, targets, clock, recordGrace, ReplicaIngest.DEFAULT_REPLICATE_SILENCE);
    }

    /** @param replicateSilence how long replicate's beat may stop before a datacenter's devices are UNKNOWN */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace, java.time.Duration replicateSilence) {
        this(consul, store, targets, clock, recordGrace, replicateSilence, io.edgemanifest.explorer.ha.HaConfig.SOLO);
    }

    /**
     * @param ha whether this Explorer is one of several on one PostgreSQL store (only the holder of
     *           the Consul lock ingests) or ingests alone
     */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace, java.time.Duration replicateSilence,
                    io.edgemanifest.explorer.ha.HaConfig ha) {
        this(consul, store, targets, clock, recordGrace, replicateSilence, ha, ReplicaIngest.DEFAULT_AGENT_DOWN_GRACE);
    }

    /**
     * @param agentDownGrace how long a host whose Consul agent died stays UNKNOWN (it moves to another
     *                       agent) before it is OFFLINE
     */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace, java.time.Duration replicateSilence,
                    io.edgemanifest.explorer.ha.HaConfig ha, java.time.Duration agentDownGrace) {
        this(consul, store, targets, clock, recordGrace, replicateSilence, ha, agentDownGrace,
                io.edgemanifest.explorer.auth.WebConfig.OFF);
    }

    /** @param web login (--auth-file) and where /metrics is served (--metrics) */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace, java.time.Duration replicateSilence,
                    io.edgemanifest.explorer.ha.HaConfig ha, java.time.Duration agentDownGrace,
                    io.edgemanifest.explorer.auth.WebConfig web) {
        this(consul, store, targets, clock, recordGrace, replicateSilence, ha, agentDownGrace, web, EventsRetention.DEFAULT);
    }

    /** @param retention how long raw events are kept before they are rolled up hourly and deleted */
    public Explorer(ConsulEndpoint consul, DeviceStore store, Map<String, Double> targets, Clock clock,
                    java.time.Duration recordGrace, java.time.Duration replicateSilence,
                    io.edgemanifest.explorer.ha.HaConfig ha, java.time.Duration agentDownGrace,
                    io.edgemanifest.explorer.auth.WebConfig web, EventsRetention retention) {
        this.retention = Objects.requireNonNull(retention, "retention");
        this.web = Objects.requireNonNull(web, "web");
        this.store = Objects.requireNonNull(store, "store");
        this.consul = Objects.requireNonNull(consul, "consul");
        this.ha = Objects.requireNonNull(ha, "ha");
        // Built anew on every takeover: it loads the store as the new holder finds it (after its claim).
        this.newIngest = () -> new ReplicaIngest(consul, store, clock, metrics, recordGrace, replicateSilence,
                agentDownGrace);
        this.standbyStatus = new io.edgemanifest.explorer.ha.StandbyStatus(consul);
        this.api = new ExplorerApi(store, clock, targets, this::datacenterStatus, metrics, this::refreshDeviceGauges, web);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "explorer-availability");
            t.setDaemon(true);
            return t;
        });
        // Counters (exported with _total), read from what this process counted: the dashboard takes
        // their rate(). No COUNT(*) of the events table per scrape — a full scan on PostgreSQL at scale.
        FunctionCounter.builder("explorer_ingest_changes", this, e -> e.changesApplied())
                .description("device changes this process wrote to the store, across every term it ingested")
                .register(metrics);
        FunctionCounter.builder("explorer_events_recorded", store, DeviceStore::eventsRecorded)
                .description("device events (transitions) this process appended to the store").register(metrics);
        io.edgemanifest.core.metrics.JvmBasics.bindTo(metrics);
        this.fleet = new FleetGauges(metrics, store, targets, this::datacenterState, Clock.systemUTC());
    }

    private final FleetGauges fleet;
    private final EventsRetention retention;

    /** Called before each scrape. */
    private void refreshDeviceGauges() {
        fleet.refresh();
    }

    /** Only the ingesting Explorer knows the datacenters' state; a standby reports none rather than asking Consul per scrape. */
    private FleetGauges.DatacenterState datacenterState() {
        ReplicaIngest current = ingest;
        return current == null ? FleetGauges.DatacenterState.NONE
                : new FleetGauges.DatacenterState(current.datacenters(), current.silentDatacenters());
    }

    /** Changes this process wrote, across every term it ingested. */
    private long changesApplied() {
        ReplicaIngest current = ingest;
        return changesBefore.get() + (current == null ? 0 : current.changesApplied());
    }

    private Map<String, Object> datacenterStatus() {
        ReplicaIngest ingest = this.ingest;
        if (ingest == null) {
            return standbyStatus.datacenters();
        }
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Map<String, Object>> status = ingest.replicateStatus();
        java.util.Set<String> silent = ingest.silentDatacenters();
        ingest.datacenters().forEach((dc, reachable) -> {
            Map<String, Object> entry = new LinkedHashMap<>(status.getOrDefault(dc, Map.of()));
            entry.put("reachable", reachable);
            entry.put("silent", silent.contains(dc));
            result.put(dc, entry);
        });
        return result;
    }

    public Explorer start(String bind, int port) {
        api.start(bind, port);
        if (!web.metricsOnApiPort()) {
            metricsServer = new io.edgemanifest.core.metrics.MetricsServer(metrics, web.metricsHost(), web.metricsPort(),
                    this::refreshDeviceGauges);
            log.info("metrics on http://{}:{}/metrics only", web.metricsHost(), metricsServer.port());
        }
        log.info("Network Explorer on http://{}:{}/ ({})", bind, api.port(), ha.enabled()
                ? "high availability: ingests while it holds " + ha.lockKey() : "ingests alone");
        leadership = startLeadership(bind);
        scheduler.scheduleWithFixedDelay(this::refreshAvailability, 0, 60, TimeUnit.SECONDS);
        // Every 5 minutes, at most EventsRetention.HOURS_PER_RUN hours each: the hour that just
        // passed the retention is pruned within minutes, a backlog in slices between refreshes.
        scheduler.scheduleWithFixedDelay(this::pruneEvents, 1, 5, TimeUnit.MINUTES);
        return this;
    }

    private void refreshAvailability() {
        if (leadership != null && !leadership.leading()) {
            return; // a derived column: the ingesting Explorer keeps it for all
        }
        try {
            store.refreshAvailability(java.time.Instant.now());
        } catch (RuntimeException e) {
            log.warn("availability refresh failed", e);
        }
    }

    private void pruneEvents() {
        if (leadership != null && !leadership.leading()) {
            return; // the ingesting Explorer prunes for all
        }
        try {
            long started = System.nanoTime();
            io.edgemanifest.explorer.store.Pruned p = store.pruneEvents(java.time.Instant.now(), retention.raw(),
                    EventsRetention.HOURS_PER_RUN);
            if (p.hours() > 0) {
                log.info("events older than {} d rolled up and pruned: {} hour(s), {} events deleted, {} hourly rollups in {} ms",
                        retention.raw().toDays(), p.hours(), p.eventsDeleted(), p.rollupsWritten(),
                        (System.nanoTime() - started) / 1_000_000);
            }
        } catch (RuntimeException e) {
            log.warn("event retention failed (retried in 5 min)", e);
        }
    }

    /**
     * Refreshes availability now rather than on the next minute: the lease is claimed after start
     * (the first scheduled refresh finds this Explorer not yet ingesting), and a new holder's
     * column would otherwise wait a minute too.
     */
    private void refreshAvailabilitySoon() {
        try {
            scheduler.execute(this::refreshAvailability);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("closing: no availability refresh");
        }
    }

    private io.edgemanifest.explorer.ha.IngestLeadership startLeadership(String bind) {
        if (!(store instanceof io.edgemanifest.explorer.store.JdbcDeviceStore jdbc)) {
            // The lease lives in the JDBC store; any other store is used alone, unfenced.
            if (ha.enabled()) {
                throw new IllegalArgumentException("--ha needs a PostgreSQL store");
            }
            ReplicaIngest alone = newIngest.get();
            alone.start();
            ingest = alone;
            return null;
        }
        boolean postgres = !(jdbc.dataSource() instanceof com.zaxxer.hikari.HikariDataSource h)
                || h.getJdbcUrl().startsWith("jdbc:postgresql:");
        var epoch = new io.edgemanifest.explorer.ha.IngestEpoch(jdbc.dataSource(), postgres, ha.lockTtl());
        String lockValue;
        try {
            lockValue = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of(
                    "instance", instanceId, "host", java.net.InetAddress.getLocalHost().getHostName(),
                    "pid", ProcessHandle.current().pid(), "api", "http://" + bind + ":" + api.port() + "/"));
        } catch (java.io.IOException e) {
            lockValue = "{\"instance\":\"" + instanceId + "\"}";
        }
        return new io.edgemanifest.explorer.ha.IngestLeadership(ha, consul, instanceId, lockValue, epoch, jdbc::fence,
                new io.edgemanifest.explorer.ha.IngestLeadership.Listener() {
                    @Override
                    public void lead(long claimed) {
                        ReplicaIngest next = newIngest.get();
                        next.start(); // loads the store: everything the former holder committed
                        ingest = next;
                        refreshAvailabilitySoon();
                    }

                    @Override
                    public void standBy(String why) {
                        stopIngest();
                    }
                }, metrics).start();
    }

    private void stopIngest() {
        ReplicaIngest current = ingest;
        ingest = null;
        if (current != null) {
            changesBefore.addAndGet(current.changesApplied());
            current.close();
        }
    }

    /** Whether this Explorer ingests now (holds the ingest lease). */
    public boolean ingesting() {
        return leadership != null ? leadership.leading() : ingest != null;
    }

    public int port() {
        return api.port();
    }

    /** The port of the separate /metrics server (--metrics), or -1 when the API port serves it. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.port();
    }

    /** The running ingest, or null while this Explorer stands by. */
    public ReplicaIngest ingest() {
        return ingest;
    }

    public DeviceStore store() {
        return store;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        if (leadership != null) {
            leadership.close(); // the lock is freed first: a standby takes over while we finish
        }
        stopIngest();
        api.close();
        if (metricsServer != null) {
            metricsServer.close();
        }
        standbyStatus.close();
        store.close();
    }
}
