package io.edgemanifest.explorer.store;

import io.edgemanifest.core.Errors;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.flywaydb.core.Flyway;

/**
 * {@link DeviceStore} over JDBC: H2 or PostgreSQL, schema by Flyway. Lists use keyset pagination
 * (never OFFSET) so page 2,000 of 100,000 devices costs what page 1 does.
 */
public final class JdbcDeviceStore implements DeviceStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(JdbcDeviceStore.class);
    private static final Map<String, String> SORTS = Map.of(
            "id", "id", "kind", "kind", "datacenter", "datacenter", "status", "status",
            "lastSeen", "last_seen", "firstSeen", "first_seen", "availability", "avail_24h");
    private static final String COLUMNS = "id, kind, datacenter, status, first_seen, last_seen, status_since, "
            + "record_json, parse_error, gateway, city, country, labels_json, lat, lon";

    private final HikariDataSource dataSource;
    private final Map<String, Double> targets;
    /** The observation period this process runs (open: it extends to "now" in availability). */
    private volatile Long openObservation;

    private JdbcDeviceStore(HikariDataSource dataSource, Map<String, Double> targets) {
        this.dataSource = dataSource;
        this.targets = targets;
    }

    /** Opens (and migrates) the store; a store that cannot be reached is an {@link IllegalStateException} saying so. */
    public static JdbcDeviceStore open(StoreConfig config) {
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(config.jdbcUrl());
        hikari.setUsername(config.user());
        hikari.setPassword(config.password());
        hikari.setMaximumPoolSize(8);
        hikari.setPoolName("explorer-store");
        hikari.setInitializationFailTimeout(10_000);
        // A store that is down must fail a write in seconds, not the default 30: ingest holds its
        // changes queued meanwhile and retries with back-off.
        hikari.setConnectionTimeout(5_000);
        hikari.setValidationTimeout(2_000);
        // A connection the driver calls dead for good leaves the pool at once (H2's 90121 is not an
        // SQL state Hikari knows): see BrokenConnectionOverride.
        hikari.setExceptionOverrideClassName(BrokenConnectionOverride.class.getName());
        if (config.jdbcUrl().startsWith("jdbc:postgresql:")) {
            // A server that hangs (frozen, partitioned without a reset) would otherwise hold a
            // read forever, and ingest's lock with it; the URL's own settings win.
            if (!config.jdbcUrl().contains("socketTimeout")) {
                hikari.addDataSourceProperty("socketTimeout", "60");
            }
            if (!config.jdbcUrl().contains("connectTimeout")) {
                hikari.addDataSourceProperty("connectTimeout", "5");
            }
        }
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            throw new IllegalStateException("store " + redact(config.jdbcUrl()) + " unavailable: " + Errors.rootMessage(e), e);
        }
        try {
            Flyway.configure().dataSource(dataSource).locations("classpath:db/migration").load().migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw new IllegalStateException("store " + redact(config.jdbcUrl()) + " could not be migrated: " + Errors.rootMessage(e), e);
        }
        return new JdbcDeviceStore(dataSource, config.targets());
    }

    private static String redact(String url) {
        return url.replaceAll("password=[^;&]*", "password=***");
    }


    /** Events appended by committed {@link #apply} batches (see {@link #eventsRecorded()}). */
    private final java.util.concurrent.atomic.AtomicLong eventsRecorded = new java.util.concurrent.atomic.AtomicLong();

    /** Checked in every {@link #apply} transaction (explorer.ha's ingest lease). */
    private volatile WriteFence fence = WriteFence.NONE;

    /** From now on every {@link #apply} runs {@code fence} in its transaction. */
    public void fence(WriteFence fence) {
        this.fence = java.util.Objects.requireNonNull(fence, "fence");
    }

    /** The pool, for explorer.ha's own small transactions on the ingest lease. */
    public javax.sql.DataSource dataSource() {
        return dataSource;
    }

    // ---------------------------------------------------------------- writes

    @Override
    public void apply(List<Change> changes) {
        if (changes.isEmpty()) {
            return;
        }
        WriteFence fence = this.fence;
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement update = c.prepareStatement("UPDATE devices SET kind=?, datacenter=?, status=?, "
                    + "first_seen=?, last_seen=?, status_since=?, record_json=?, parse_error=?, gateway=?, city=?, "
                    + "country=?, labels_json=?, search_text=?, lat=?, lon=? WHERE id=?");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO devices (kind, datacenter, status, "
                         + "first_seen, last_seen, status_since, record_json, parse_error, gateway, city, country, "
                         + "labels_json, search_text, lat, lon, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
                 // Idempotent: a batch whose commit reached the store but whose answer did not (the
                 // store went down in between) is written again by ingest; its events, identified by
                 // device, type and time, must not be recorded twice (measured in ExplorerFaultIT).
                 PreparedStatement event = c.prepareStatement("INSERT INTO events (device_id, event_type, "
                         + "happened_at, datacenter, detail) SELECT ?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM events "
                         + "WHERE device_id=? AND happened_at=? AND event_type=?)");
                 // The device's latest event (by time, then seq: a later one at the same instant
                 // wins), what the set-based availability refresh reads; an event stored out of
                 // time order leaves it alone.
                 PreparedStatement latest = c.prepareStatement("UPDATE devices SET last_state=?, last_event_at=? "
                         + "WHERE id=? AND (last_event_at IS NULL OR last_event_at <= ?)")) {
                fence.begin(c);
                for (Change change : changes) {
                    Device d = change.device();
                    bindDevice(update, d);
                    if (update.executeUpdate() == 0) {
                        bindDevice(insert, d);
                        insert.executeUpdate();
                    }
                    if (change.event() != null) {
                        event.setString(1, d.id());
                        event.setString(2, change.event().name());
                        // Microseconds: what both databases keep, so the duplicate check compares like with like.
                        OffsetDateTime at = time(change.at().truncatedTo(java.time.temporal.ChronoUnit.MICROS));
                        event.setObject(3, at);
                        event.setString(4, d.datacenter());
                        event.setString(5, truncate(change.detail(), 2000));
                        event.setString(6, d.id());
                        event.setObject(7, at);
                        event.setString(8, change.event().name());
                        event.addBatch();
                        latest.setString(1, Timeline.stateOf(change.event().name()).name());
                        latest.setObject(2, at);
                        latest.setString(3, d.id());
                        latest.setObject(4, at);
                        latest.addBatch();
                    }
                }
                long appended = 0;
                for (int rows : event.executeBatch()) {
                    // 0: the event was already there (a batch applied again); no count at all (a driver
                    // rewriting the batch) counts the event as appended.
                    appended += rows == java.sql.Statement.SUCCESS_NO_INFO ? 1 : Math.max(rows, 0);
                }
                latest.executeBatch();
                fence.check(c);
                c.commit();
                eventsRecorded.addAndGet(appended);
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store write failed: " + e.getMessage(), e);
        }
    }

    private static void bindDevice(PreparedStatement ps, Device d) throws SQLException {
        ps.setString(1, d.kind());
        ps.setString(2, d.datacenter());
        ps.setString(3, d.status().name());
        ps.setObject(4, time(d.firstSeen()));
        ps.setObject(5, time(d.lastSeen()));
        ps.setObject(6, time(d.statusSince()));
        ps.setString(7, d.recordJson());
        ps.setString(8, truncate(d.parseError(), 2000));
        ps.setString(9, d.gateway());
        ps.setString(10, d.city());
        ps.setString(11, d.country());
        ps.setString(12, labelsJson(d.labels()));
        ps.setString(13, searchText(d));
        ps.setObject(14, d.lat(), java.sql.Types.DOUBLE);
        ps.setObject(15, d.lon(), java.sql.Types.DOUBLE);
        ps.setString(16, d.id());
    }

    private static String searchText(Device d) {
        StringBuilder text = new StringBuilder(d.id());
        d.labels().forEach((k, v) -> text.append(' ').append(k).append('=').append(v));
        if (d.city() != null) {
            text.append(' ').append(d.city());
        }
        if (d.country() != null) {
            text.append(' ').append(d.country());
        }
        return text.toString().toLowerCase(Locale.ROOT);
    }

    @Override
    public long beginObservation(Instant at) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO observations (started_at, ended_at) VALUES (?, ?)",
                     new String[] {"id"})) {
            ps.setObject(1, time(at));
            ps.setObject(2, time(at));
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                long id = keys.getLong(1);
                openObservation = id;
                return id;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store write failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void extendObservation(long id, Instant at) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE observations SET ended_at=? WHERE id=? AND ended_at<?")) {
            ps.setObject(1, time(at));
            ps.setLong(2, id);
            ps.setObject(3, time(at));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("store write failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void refreshAvailability(Instant now) {
        long started = System.nanoTime();
        try (Connection c = dataSource.getConnection()) {
            AvailabilityRefresh.Result r = AvailabilityRefresh.run(c, now, openObservation);
            lastRefresh = r;
            log.debug("availability refreshed in {} ms: {} devices with events in the window, {} + {} rows written",
                    (System.nanoTime() - started) / 1_000_000, r.computed(), r.written(), r.constantWritten());
        } catch (SQLException e) {
            throw new IllegalStateException("store write failed: " + e.getMessage(), e);
        }
    }

    private volatile AvailabilityRefresh.Result lastRefresh;

    @Override
    public Pruned pruneEvents(Instant now, Duration retention, int maxHours) {
        try (Connection c = dataSource.getConnection()) {
            return Retention.prune(c, now, retention, openObservation, maxHours);
        } catch (SQLException e) {
            throw new IllegalStateException("store write failed: " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<Device> find(String id) {
        return query("SELECT " + COLUMNS + " FROM devices WHERE id=?", List.of(id)).stream().findFirst();
    }

    @Override
    public Map<String, Device> find(java.util.Collection<String> ids) {
        // One IN (...) per 500 IDs: a datacenter-wide flip is a few reads, not one per device.
        Map<String, Device> found = new LinkedHashMap<>();
        List<String> all = List.copyOf(new java.util.LinkedHashSet<>(ids));
        for (int from = 0; from < all.size(); from += 500) {
            List<String> chunk = all.subList(from, Math.min(all.size(), from + 500));
            String marks = String.join(",", java.util.Collections.nCopies(chunk.size(), "?"));
            for (Device d : query("SELECT " + COLUMNS + " FROM devices WHERE id IN (" + marks + ")", List.copyOf(chunk))) {
                found.put(d.id(), d);
            }
        }
        return found;
    }

    @Override
    public List<Device> all() {
        return query("SELECT " + COLUMNS + " FROM devices", List.of());
    }

    /**
     * The list counts exactly up to this many matches, then says "at least" (#15): an exact
     * COUNT(*) of 1,000,000 matching rows is a full index scan per page on PostgreSQL (35 ms p99
     * already at 100,000), a capped one reads at most this many index entries.
     */
    static final int COUNT_CAP = 10_000;

    @Override
    public Page<Device> list(DeviceQuery q, Instant now) {
        return list(q, COUNT_CAP);
    }

    Page<Device> list(DeviceQuery q, int countCap) {
        List<Object> args = new ArrayList<>();
        String where = where(q, args, true);
        List<Object> countArgs = new ArrayList<>(args);
        countArgs.add(countCap + 1);
        long matched = count("SELECT COUNT(*) FROM (SELECT 1 FROM devices" + where + " LIMIT ?) capped", countArgs);
        try (Connection c = dataSource.getConnection()) {
            Page<Device> page = page(c, q, where, args);
            return new Page<>(page.items(), Math.min(matched, countCap), page.nextCursor(), matched > countCap);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void scan(DeviceQuery q, java.util.function.BiConsumer<List<Device>, Map<String, Double>> consumer) {
        List<Object> args = new ArrayList<>();
        String where = where(q, args, true);
        DeviceQuery next = q;
        do {
            Page<Device> page;
            Map<String, Double> availability;
            // A connection per page, not one for the whole scan: a slow reader (a CSV download over
            // a slow link) must not hold one of the pool's 8 connections for minutes.
            try (Connection c = dataSource.getConnection()) {
                page = page(c, next, where, args);
                availability = availability24h(c, page.items().stream().map(Device::id).toList());
            } catch (SQLException e) {
                throw new IllegalStateException("store read failed: " + e.getMessage(), e);
            }
            if (!page.items().isEmpty()) {
                consumer.accept(page.items(), availability);
            }
            next = page.nextCursor() == null ? null : next.from(page.nextCursor());
        } while (next != null);
    }

    @Override
    public Map<DeviceStatus, Long> statusCounts(DeviceQuery q) {
        List<Object> args = new ArrayList<>();
        String where = where(q.anyStatus(), args, false);
        Map<DeviceStatus, Long> result = new java.util.EnumMap<>(DeviceStatus.class);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM devices" + where + " GROUP BY status")) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.put(DeviceStatus.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
        return result;
    }

    private String sortColumn(DeviceQuery q) {
        String sortKey = q.sort() == null ? "id" : q.sort();
        String column = SORTS.get(sortKey.startsWith("-") ? sortKey.substring(1) : sortKey);
        if (column == null) {
            throw new IllegalArgumentException("invalid sort '" + sortKey + "' (one of " + SORTS.keySet() + ")");
        }
        return column;
    }

    /** The WHERE clause of the query's filters (its cursor aside), its arguments appended to {@code args}. */
    private String where(DeviceQuery q, List<Object> args, boolean checkSort) {
        if (checkSort) {
            sortColumn(q);
        }
        StringBuilder where = new StringBuilder(" WHERE 1=1");
        if (q.kind() != null) {
            where.append(" AND kind=?");
            args.add(q.kind());
        }
        if (q.datacenter() != null) {
            where.append(" AND datacenter=?");
            args.add(q.datacenter());
        }
        if (q.status() != null) {
            where.append(" AND status=?");
            args.add(q.status().name());
        }
        if (q.gateway() != null) {
            where.append(" AND gateway=?");
            args.add(q.gateway());
        }
        if (q.q() != null) {
            // Searched literally: '%' and '_' in the term match themselves, not any text.
            where.append(" AND search_text LIKE ? ESCAPE '!'");
            args.add("%" + q.q().toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%");
        }
        if (q.located() != null) {
            where.append(q.located() ? " AND lat IS NOT NULL" : " AND lat IS NULL");
        }
        if (q.bbox() != null) {
            // Half-open as the map's grid cells (floor(lat / cell)), so a cluster's bbox lists
            // exactly its devices; the world's own north and east edges are included.
            double[] b = q.bbox();
            where.append(" AND lat >= ? AND lat ").append(b[3] >= 90 ? "<=" : "<").append(" ?");
            args.add(b[1]);
            args.add(b[3]);
            String eastOp = b[2] >= 180 ? "<=" : "<";
            // west > east: the box crosses the antimeridian (e.g. 170,-50,-170,-10)
            where.append(b[0] <= b[2] ? " AND lon >= ? AND lon " + eastOp + " ?" : " AND (lon >= ? OR lon " + eastOp + " ?)");
            args.add(b[0]);
            args.add(b[2]);
        }
        if (Boolean.TRUE.equals(q.belowTarget())) {
            where.append(" AND avail_24h >= 0 AND avail_24h < CASE kind WHEN 'host' THEN ? WHEN 'gateway' THEN ? ELSE ? END");
            args.add(targets.getOrDefault("host", 0.0));
            args.add(targets.getOrDefault("gateway", 0.0));
            args.add(targets.getOrDefault("stargate", 0.0));
        }
        return where.toString();
    }

    /** One keyset page (no total): the rows after the query's cursor. */
    private Page<Device> page(Connection c, DeviceQuery q, String where, List<Object> args) throws SQLException {
        String column = sortColumn(q);
        boolean desc = q.sort() != null && q.sort().startsWith("-");
        List<Object> pageArgs = new ArrayList<>(args);
        StringBuilder pageWhere = new StringBuilder(where);
        if (q.cursor() != null) {
            Object[] cursor = decodeCursor(q.cursor(), column);
            String op = desc ? "<" : ">";
            pageWhere.append(" AND (").append(column).append(' ').append(op).append(" ? OR (").append(column)
                    .append(" = ? AND id ").append(op).append(" ?))");
            pageArgs.add(cursor[0]);
            pageArgs.add(cursor[0]);
            pageArgs.add(cursor[1]);
        }
        String order = desc ? " DESC" : " ASC";
        pageArgs.add(q.limit() + 1);
        List<Device> rows = new ArrayList<>();
        List<Object> sortValues = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + ", " + column + " AS sort_value, avail_24h FROM devices"
                + pageWhere + " ORDER BY " + column + order + ", id" + order + " LIMIT ?")) {
            bind(ps, pageArgs);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(device(rs));
                    sortValues.add(rs.getObject("sort_value"));
                }
            }
        }
        String next = null;
        if (rows.size() > q.limit()) {
            rows = rows.subList(0, q.limit());
            next = encodeCursor(sortValues.get(q.limit() - 1), rows.get(q.limit() - 1).id());
        }
        return new Page<>(List.copyOf(rows), rows.size(), next);
    }

    @Override
    public Map<String, Double> availability24h(java.util.Collection<String> ids) {
        try (Connection c = dataSource.getConnection()) {
            return availability24h(c, ids);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    private static Map<String, Double> availability24h(Connection c, java.util.Collection<String> ids) throws SQLException {
        Map<String, Double> result = new LinkedHashMap<>();
        if (ids.isEmpty()) {
            return result;
        }
        String marks = String.join(",", java.util.Collections.nCopies(ids.size(), "?"));
        try (PreparedStatement ps = c.prepareStatement("SELECT id, avail_24h FROM devices WHERE avail_24h >= 0 AND id IN (" + marks + ")")) {
            bind(ps, List.copyOf(ids));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.put(rs.getString(1), rs.getDouble(2));
                }
            }
        }
        return result;
    }

    private static String encodeCursor(Object value, String id) {
        // Drivers differ in what getObject gives for timestamptz (H2: OffsetDateTime, PostgreSQL: Timestamp).
        String v = value instanceof OffsetDateTime t ? "t" + t.toInstant().toString()
                : value instanceof java.util.Date d ? "t" + d.toInstant().toString()
                : value instanceof Number n ? "n" + n.doubleValue() : "s" + value;
        return Base64.getUrlEncoder().withoutPadding().encodeToString((v + "\u0000" + id).getBytes(StandardCharsets.UTF_8));
    }

    private static Object[] decodeCursor(String cursor, String column) {
        try {
            String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            int sep = raw.indexOf('\u0000');
            String value = raw.substring(0, sep);
            String id = raw.substring(sep + 1);
            Object parsed = switch (value.charAt(0)) {
                case 't' -> time(Instant.parse(value.substring(1)));
                case 'n' -> Double.parseDouble(value.substring(1));
                case 's' -> value.substring(1);
                default -> throw new IllegalArgumentException();
            };
            boolean timeColumn = column.equals("last_seen") || column.equals("first_seen");
            boolean numberColumn = column.equals("avail_24h");
            if (timeColumn != (parsed instanceof OffsetDateTime) || numberColumn != (parsed instanceof Double)) {
                throw new IllegalArgumentException();
            }
            return new Object[] {parsed, id};
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("invalid cursor '" + cursor + "' (it belongs to another sort, or was altered)");
        }
    }

    @Override
    public List<Event> events(String deviceId, Long beforeSeq, int limit) {
        String sql = "SELECT seq, device_id, event_type, happened_at, datacenter, detail FROM events WHERE device_id=?"
                + (beforeSeq == null ? "" : " AND seq < ?") + " ORDER BY seq DESC LIMIT ?";
        List<Object> args = new ArrayList<>();
        args.add(deviceId);
        if (beforeSeq != null) {
            args.add(beforeSeq);
        }
        args.add(limit);
        return select(sql, args, rs -> new Event(rs.getLong(1), rs.getString(2), EventType.valueOf(rs.getString(3)),
                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5), rs.getString(6)));
    }

    @Override
    public Availability availability(String deviceId, Instant from, Instant to) {
        try (Connection c = dataSource.getConnection()) {
            return availability(c, deviceId, from, to);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<Availability> availabilityBuckets(String deviceId, Duration size, int count, Instant now) {
        Instant start = now.minus(size.multipliedBy(count));
        try (Connection c = dataSource.getConnection()) {
            History history = History.load(c, deviceId, start, now);
            List<Timeline.Period> periods = Timeline.periods(c, start, now, openObservation);
            List<Availability> buckets = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                Instant from = start.plus(size.multipliedBy(i));
                buckets.add(history.share(periods, from, from.plus(size)));
            }
            return buckets;
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    private Availability availability(Connection c, String deviceId, Instant from, Instant to) throws SQLException {
        return History.load(c, deviceId, from, to).share(Timeline.periods(c, from, to, openObservation), from, to);
    }

    @Override
    public Map<String, Map<String, Map<DeviceStatus, Long>>> counts() {
        Map<String, Map<String, Map<DeviceStatus, Long>>> result = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT datacenter, kind, status, COUNT(*) FROM devices "
                     + "GROUP BY datacenter, kind, status ORDER BY datacenter, kind, status");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                result.computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                        .computeIfAbsent(rs.getString(2), k -> new LinkedHashMap<>())
                        .put(DeviceStatus.valueOf(rs.getString(3)), rs.getLong(4));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
        return result;
    }

    @Override
    public Map<DeviceStatus, Long> hostsOfGateway(String gatewayId) {
        Map<DeviceStatus, Long> result = new java.util.EnumMap<>(DeviceStatus.class);
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM devices WHERE gateway=? AND kind='host' "
                     + "GROUP BY status")) {
            ps.setString(1, gatewayId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    result.put(DeviceStatus.valueOf(rs.getString(1)), rs.getLong(2));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
        return result;
    }

    private static final String EVENT_COLUMNS = "e.seq, e.device_id, e.event_type, e.happened_at, e.datacenter, e.detail";

    @Override
    public List<Event> eventsBetween(String deviceId, Instant from, Instant to) {
        return events("SELECT " + EVENT_COLUMNS + ", NULL FROM events e WHERE e.device_id=? AND e.happened_at>=? "
                + "AND e.happened_at<? ORDER BY e.happened_at, e.seq", List.of(deviceId, time(from), time(to)));
    }

    @Override
    public List<Event> eventsAfter(long afterSeq, int limit) {
        return events("SELECT " + EVENT_COLUMNS + ", d.kind FROM events e LEFT JOIN devices d ON d.id=e.device_id "
                + "WHERE e.seq>? ORDER BY e.seq LIMIT ?", List.of(afterSeq, limit));
    }

    @Override
    public List<Event> latestEvents(int limit) {
        return events("SELECT " + EVENT_COLUMNS + ", d.kind FROM events e LEFT JOIN devices d ON d.id=e.device_id "
                + "ORDER BY e.seq DESC LIMIT ?", List.of(limit));
    }

    @Override
    public long lastSeq() {
        return count("SELECT COALESCE(MAX(seq), 0) FROM events", List.of());
    }

    private List<Event> events(String sql, List<Object> args) {
        return select(sql, args, rs -> new Event(rs.getLong(1), rs.getString(2), EventType.valueOf(rs.getString(3)),
                rs.getObject(4, OffsetDateTime.class).toInstant(), rs.getString(5), rs.getString(6), rs.getString(7)));
    }

    @Override
    public List<StateSpan> timeline(String deviceId, Instant from, Instant to) {
        try (Connection c = dataSource.getConnection()) {
            return Timeline.spans(History.load(c, deviceId, from, to).segments(), Timeline.periods(c, from, to, openObservation),
                    from, to);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<GatewayHosts> gateways(String datacenter) {
        Map<String, DeviceStatus> status = new LinkedHashMap<>();
        Map<String, Map<DeviceStatus, Long>> hosts = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT g.id, g.status, h.status, COUNT(h.id) FROM devices g "
                     + "LEFT JOIN devices h ON h.gateway=g.id AND h.kind='host' WHERE g.kind='gateway' AND g.datacenter=? "
                     + "GROUP BY g.id, g.status, h.status ORDER BY g.id")) {
            ps.setString(1, datacenter);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    status.put(id, DeviceStatus.valueOf(rs.getString(2)));
                    Map<DeviceStatus, Long> byStatus = hosts.computeIfAbsent(id, k -> new java.util.EnumMap<>(DeviceStatus.class));
                    if (rs.getString(3) != null) {
                        byStatus.put(DeviceStatus.valueOf(rs.getString(3)), rs.getLong(4));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
        List<GatewayHosts> result = new ArrayList<>();
        status.forEach((id, st) -> result.add(new GatewayHosts(id, st, hosts.get(id))));
        return result;
    }

    @Override
    public MapGrid map(MapQuery query) {
        try (Connection c = dataSource.getConnection()) {
            return MapQueries.grid(c, query);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<ReportRow> availabilityReport(Instant from, Instant to, boolean stored24h) {
        try (Connection c = dataSource.getConnection()) {
            return stored24h ? AvailabilityReport.fromColumn(c, targets)
                    : AvailabilityReport.compute(c, targets, from, to, openObservation);
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long eventsRecorded() {
        return eventsRecorded.get();
    }

    @Override
    public long eventCount() {
        return count("SELECT COUNT(*) FROM events", List.of());
    }

    // ---------------------------------------------------------------- helpers

    private List<Device> query(String sql, List<Object> args) {
        return select(sql, args, JdbcDeviceStore::device);
    }

    /** One row of a result set as a value. */
    @FunctionalInterface
    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    /** Every row of {@code sql} with {@code args}, on a pooled connection; a failure says the store did not answer. */
    private <T> List<T> select(String sql, List<Object> args, Row<T> row) {
        List<T> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(row.read(rs));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
        return rows;
    }

    private long count(String sql, List<Object> args) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, args);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("store read failed: " + e.getMessage(), e);
        }
    }

    private static void bind(PreparedStatement ps, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            ps.setObject(i + 1, args.get(i));
        }
    }

    private static Device device(ResultSet rs) throws SQLException {
        return new Device(rs.getString("id"), rs.getString("kind"), rs.getString("datacenter"),
                DeviceStatus.valueOf(rs.getString("status")), instant(rs, "first_seen"), instant(rs, "last_seen"),
                instant(rs, "status_since"), rs.getString("record_json"), rs.getString("parse_error"),
                rs.getString("gateway"), rs.getString("city"), rs.getString("country"), labels(rs.getString("labels_json")),
                doubleOrNull(rs, "lat"), doubleOrNull(rs, "lon"));
    }

    private static Double doubleOrNull(ResultSet rs, String column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static OffsetDateTime time(Instant instant) {
        return instant == null ? null : instant.atOffset(ZoneOffset.UTC);
    }

    private static String labelsJson(Map<String, String> labels) {
        try {
            return JSON.writeValueAsString(labels);
        } catch (Exception e) {
            return "{}";
        }
    }

    private static Map<String, String> labels(String json) {
        if (json == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<Map<String, String>>() { });
        } catch (Exception e) {
            return Map.of();
        }
    }

    private static String truncate(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
