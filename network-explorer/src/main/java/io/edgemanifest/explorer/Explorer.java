package io.edgemanifest.explorer;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.explorer.api.ExplorerApi;
import io.edgemanifest.explorer.ingest.ReplicaIngest;
import io.edgemanifest.explorer.store.DeviceStore;
import io.micrometer.core.instrument.Gauge;
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
    private final ReplicaIngest ingest;
    private final ExplorerApi api;
    private final ScheduledExecutorService scheduler;
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

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
        this.store = Objects.requireNonNull(store, "store");
        this.ingest = new ReplicaIngest(consul, store, clock, metrics, recordGrace, replicateSilence);
        this.api = new ExplorerApi(store, clock, targets, this::datacenterStatus, metrics, this::refreshDeviceGauges);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "explorer-availability");
            t.setDaemon(true);
            return t;
        });
        Gauge.builder("explorer_ingest_changes", ingest, i -> i.changesApplied()).register(metrics);
        Gauge.builder("explorer_events", store, DeviceStore::eventCount).register(metrics);
        devices = io.micrometer.core.instrument.MultiGauge.builder("explorer_devices")
                .description("devices by kind, status and datacenter").register(metrics);
    }

    private final io.micrometer.core.instrument.MultiGauge devices;

    /** Called before each scrape: one GROUP BY, not one query per series. */
    private void refreshDeviceGauges() {
        java.util.List<io.micrometer.core.instrument.MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
        store.counts().forEach((dc, byKind) -> byKind.forEach((kind, byStatus) -> byStatus.forEach((status, n) ->
                rows.add(io.micrometer.core.instrument.MultiGauge.Row.of(io.micrometer.core.instrument.Tags.of(
                        "datacenter", dc, "kind", kind, "status", status.name().toLowerCase(java.util.Locale.ROOT)), n)))));
        devices.register(rows, true);
    }

    private Map<String, Object> datacenterStatus() {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Map<String, Object>> status = ingest.replicateStatus();
        ingest.datacenters().forEach((dc, reachable) -> {
            Map<String, Object> entry = new LinkedHashMap<>(status.getOrDefault(dc, Map.of()));
            entry.put("reachable", reachable);
            result.put(dc, entry);
        });
        return result;
    }

    public Explorer start(String bind, int port) {
        ingest.start();
        scheduler.scheduleWithFixedDelay(() -> {
            try {
                store.refreshAvailability(java.time.Instant.now());
            } catch (RuntimeException e) {
                log.warn("availability refresh failed", e);
            }
        }, 0, 60, TimeUnit.SECONDS);
        api.start(bind, port);
        log.info("Network Explorer on http://{}:{}/", bind, api.port());
        return this;
    }

    public int port() {
        return api.port();
    }

    public ReplicaIngest ingest() {
        return ingest;
    }

    public DeviceStore store() {
        return store;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        api.close();
        ingest.close();
        store.close();
    }
}
