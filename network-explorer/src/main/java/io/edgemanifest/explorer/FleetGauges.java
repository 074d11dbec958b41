package io.edgemanifest.explorer;

import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.ReportRow;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The fleet as the Explorer sees it, per datacenter, refreshed when {@code /metrics} is scraped:
 * devices by kind and status, 24 h availability against each kind's target, and which datacenters
 * replicate cannot read or has gone silent on — what the alert rules and the dashboard read. Labels
 * are datacenter, kind and status only (never a device ID: 100,000 devices would be 100,000 series).
 */
final class FleetGauges {

    /** The datacenters' state as the ingesting Explorer decided it; empty on a standby. */
    record DatacenterState(Map<String, Boolean> reachable, Set<String> silent) {
        static final DatacenterState NONE = new DatacenterState(Map.of(), Set.of());

        DatacenterState {
            reachable = Map.copyOf(reachable);
            silent = Set.copyOf(silent);
        }
    }

    /** The 24 h column changes once a minute (refreshAvailability): no need to group it more often. */
    static final Duration AVAILABILITY_EVERY = Duration.ofSeconds(30);

    private final DeviceStore store;
    private final Supplier<DatacenterState> datacenters;
    private final Clock clock;
    private final MultiGauge devices;
    private final MultiGauge availability;
    private final MultiGauge belowTarget;
    private final MultiGauge reachable;
    private final MultiGauge silent;
    private Instant availabilityAt;

    FleetGauges(MeterRegistry registry, DeviceStore store, Map<String, Double> targets,
                Supplier<DatacenterState> datacenters, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.datacenters = Objects.requireNonNull(datacenters, "datacenters");
        this.clock = Objects.requireNonNull(clock, "clock");
        devices = MultiGauge.builder("explorer_devices").description("devices by kind, status and datacenter")
                .register(registry);
        availability = MultiGauge.builder("explorer_availability_ratio")
                .description("mean 24 h availability of the observed devices of a kind in a datacenter (0..1; NaN: none observed yet)")
                .register(registry);
        belowTarget = MultiGauge.builder("explorer_devices_below_target")
                .description("observed devices whose 24 h availability is below their kind's target").register(registry);
        reachable = MultiGauge.builder("explorer_datacenter_reachable")
                .description("1 while replicate can read the datacenter (0: its devices are unknown)").register(registry);
        silent = MultiGauge.builder("explorer_datacenter_silent")
                .description("1 while replicate's status beat for the datacenter is older than --replicate-silence")
                .register(registry);
        Map<String, Double> fixed = Map.copyOf(targets);
        fixed.forEach((kind, target) -> Gauge.builder("explorer_availability_target_ratio", fixed, t -> t.get(kind))
                .tag("kind", kind).description("the kind's availability target (--target)").register(registry));
    }

    /** Called before each scrape: a couple of GROUP BYs, not one query per series. */
    synchronized void refresh() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        store.counts().forEach((dc, byKind) -> byKind.forEach((kind, byStatus) -> byStatus.forEach((status, n) ->
                rows.add(MultiGauge.Row.of(Tags.of("datacenter", dc, "kind", kind,
                        "status", status.name().toLowerCase(Locale.ROOT)), n)))));
        devices.register(rows, true);
        Instant now = clock.instant();
        if (availabilityAt == null || Duration.between(availabilityAt, now).compareTo(AVAILABILITY_EVERY) >= 0) {
            availabilityAt = now;
            List<MultiGauge.Row<?>> means = new ArrayList<>();
            List<MultiGauge.Row<?>> below = new ArrayList<>();
            for (ReportRow row : store.availabilityReport(now.minus(Duration.ofDays(1)), now, true)) {
                Tags tags = Tags.of("datacenter", row.datacenter(), "kind", row.kind());
                // NaN while none of them was observed yet: the series exists from the devices' first
                // sight (a stable set for rules and panels), and NaN compares false in every alert.
                means.add(MultiGauge.Row.of(tags, row.mean() == null ? Double.NaN : row.mean()));
                below.add(MultiGauge.Row.of(tags, row.belowTarget()));
            }
            availability.register(means, true);
            belowTarget.register(below, true);
        }
        DatacenterState state = datacenters.get();
        reachable.register(state.reachable().entrySet().stream().<MultiGauge.Row<?>>map(e ->
                MultiGauge.Row.of(Tags.of("datacenter", e.getKey()), e.getValue() ? 1 : 0)).toList(), true);
        silent.register(state.reachable().keySet().stream().<MultiGauge.Row<?>>map(dc ->
                MultiGauge.Row.of(Tags.of("datacenter", dc), state.silent().contains(dc) ? 1 : 0)).toList(), true);
    }
}
