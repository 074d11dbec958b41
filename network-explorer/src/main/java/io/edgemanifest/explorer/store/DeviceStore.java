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

    /** Number of events stored (all devices). */
    long eventCount();

    @Override
    void close();
}
