package io.edgemanifest.explorer.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Explorer's own memory of every device ever seen: current state and every transition. H2 by
 * default, PostgreSQL by JDBC URL; the same Flyway migrations on both.
 */
public interface DeviceStore extends AutoCloseable {

    /**
     * Applies a batch atomically: device rows upserted, one event appended per change that has one.
     * Idempotent: applying a batch again (its first commit's answer was lost) adds no event twice.
     */
    void apply(List<Change> changes);

    Optional<Device> find(String id);

    /** These devices as stored (unknown IDs left out), in one read. */
    default Map<String, Device> find(java.util.Collection<String> ids) {
        Map<String, Device> found = new java.util.LinkedHashMap<>();
        for (String id : ids) {
            find(id).ifPresent(d -> found.put(id, d));
        }
        return found;
    }

    /** Every device's current state (for reconciling with the replica at start). */
    List<Device> all();

    Page<Device> list(DeviceQuery query, Instant now);

    /** Newest first; {@code beforeSeq} null for the newest page. */
    List<Event> events(String deviceId, Long beforeSeq, int limit);

    Availability availability(String deviceId, Instant from, Instant to);

    /** {@code count} consecutive buckets of {@code size} ending at {@code now} (oldest first). */
    List<Availability> availabilityBuckets(String deviceId, Duration size, int count, Instant now);

    /** Hosts whose latest record names {@code gatewayId} as their gateway, by status. */
    Map<DeviceStatus, Long> hostsOfGateway(String gatewayId);

    /** datacenter -> kind -> status -> count. */
    Map<String, Map<String, Map<DeviceStatus, Long>>> counts();

    /**
     * Recomputes each device's 24-hour availability into a column, so that listing can filter
     * {@code belowTarget} and sort by availability without reading events per request.
     */
    void refreshAvailability(Instant now);

    /**
     * Rolls up per device and hour, then deletes, the raw events older than {@code retention}
     * before {@code now}, one hour per transaction, at most {@code maxHours} hours this call.
     * Availability over any range stays what it was at hour boundaries (rollups are kept forever).
     */
    Pruned pruneEvents(Instant now, Duration retention, int maxHours);

    /** The refreshed 24-hour availability of these devices (absent until first computed). */
    Map<String, Double> availability24h(java.util.Collection<String> ids);

    /**
     * Starts an observation period at {@code at}: from now on this process ingests. Availability
     * counts only time inside some period; the latest period of this store object counts as open.
     * Returns the period's ID for {@link #extendObservation}.
     */
    long beginObservation(Instant at);

    /** Moves the end of period {@code id} to {@code at} (ingest calls it every few seconds). */
    void extendObservation(long id, Instant at);

    /** How many devices match the query's filters (its status ignored), per status. */
    Map<DeviceStatus, Long> statusCounts(DeviceQuery query);

    /**
     * Every device matching the query, in its sort order, handed over in keyset pages of
     * {@code query.limit()} (no total counted): constant memory whatever the number of devices.
     * {@code page} gets each page with the devices' refreshed 24 h availability.
     */
    void scan(DeviceQuery query, java.util.function.BiConsumer<List<Device>, Map<String, Double>> page);

    /** That device's events with {@code from <= at < to}, oldest first. */
    List<Event> eventsBetween(String deviceId, Instant from, Instant to);

    /** Events of every device with {@code seq > afterSeq}, oldest first, each with its device's kind. */
    List<Event> eventsAfter(long afterSeq, int limit);

    /** The newest {@code limit} events of every device, newest first, each with its device's kind. */
    List<Event> latestEvents(int limit);

    /** The highest event sequence stored (0 when none). */
    long lastSeq();

    /** The device's state over [from, to): consecutive spans, {@code nodata} where nothing was observed. */
    List<StateSpan> timeline(String deviceId, Instant from, Instant to);

    /** Every gateway of the datacenter with its hosts by status, by gateway ID. */
    List<GatewayHosts> gateways(String datacenter);

    /** Devices aggregated into grid cells in the store (the map at any number of devices). */
    MapGrid map(MapQuery query);

    /**
     * Availability per kind and datacenter over [from, to): from the refreshed 24 h column when
     * {@code stored24h}, else computed in one pass over the events and observation periods.
     */
    List<ReportRow> availabilityReport(Instant from, Instant to, boolean stored24h);

    /** Number of events stored (all devices): a full count, for tests and the bench, not per scrape. */
    long eventCount();

    /**
     * Events this store object appended since it was opened (a batch applied again adds none): a
     * counter kept in memory, so {@code /metrics} reads it without querying the store.
     */
    long eventsRecorded();

    @Override
    void close();
}
