package io.edgemanifest.explorer.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What every {@link DeviceStore} must do; run against H2 and a real PostgreSQL. */
abstract class DeviceStoreContract {

    static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");

    /** A fresh, empty store. */
    abstract DeviceStore store();

    static Device device(String id, String kind, String dc, DeviceStatus status, Instant at) {
        return new Device(id, kind, dc, status, T0, at, at, "{\"id\":\"" + id + "\"}", null, null, "Gaborone", "BW",
                Map.of("owner", "alice-" + id));
    }

    static Change change(String id, DeviceStatus status, EventType type, Instant at) {
        return new Change(device(id, "host", "sg-a", status, at), type, at, null);
    }

    @Test
    void appliesDevicesAndEventsAndReadsThemBack() {
        DeviceStore store = store();
        store.apply(List.of(change("host-1", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("host-1", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plusSeconds(60))));

        Device d = store.find("host-1").orElseThrow();
        assertThat(d.status()).isEqualTo(DeviceStatus.OFFLINE);
        assertThat(d.labels()).containsEntry("owner", "alice-host-1");
        assertThat(d.city()).isEqualTo("Gaborone");
        assertThat(store.events("host-1", null, 10)).extracting(Event::type).containsExactly(EventType.OFFLINE, EventType.ONLINE);
        assertThat(store.events("host-1", store.events("host-1", null, 1).get(0).seq(), 10))
                .extracting(Event::type).containsExactly(EventType.ONLINE);
        assertThat(store.eventCount()).isEqualTo(2);
        assertThat(store.all()).hasSize(1);
        assertThat(store.find("nope")).isEmpty();
    }

    @Test
    void findsManyDevicesInOneReadLeavingUnknownIdsOut() {
        DeviceStore store = store();
        List<Change> changes = new java.util.ArrayList<>();
        for (int i = 0; i < 1_203; i++) {
            changes.add(change("host-" + i, DeviceStatus.ONLINE, EventType.ONLINE, T0));
        }
        store.apply(changes);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 1_203; i += 2) {
            ids.add("host-" + i);
        }
        ids.add("nope");
        ids.add("host-0"); // twice: once in the answer
        java.util.Map<String, Device> found = store.find(ids);
        assertThat(found).hasSize(602).doesNotContainKey("nope");
        assertThat(found.get("host-1202").city()).isEqualTo("Gaborone");
        assertThat(store.find(List.<String>of())).isEmpty();
    }

    @Test
    void aChangeWithoutEventUpdatesOnlyTheDevice() {
        DeviceStore store = store();
        store.apply(List.of(change("host-1", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(new Change(device("host-1", "host", "sg-b", DeviceStatus.ONLINE, T0), null, T0, null)));
        assertThat(store.find("host-1").orElseThrow().datacenter()).isEqualTo("sg-b");
        assertThat(store.eventCount()).isEqualTo(1);
        assertThat(store.eventsRecorded()).isEqualTo(1);
    }

    @Test
    void availabilityCountsOnlineOverObservedTimeAndLeavesUnknownOut() {
        DeviceStore store = store();
        store.beginObservation(T0.minus(Duration.ofHours(2))); // this store's own, still open
        // online 0-60 min, offline 60-90, unknown 90-120, online 120-180
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("h", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofMinutes(60)))));
        store.apply(List.of(change("h", DeviceStatus.UNKNOWN, EventType.UNKNOWN, T0.plus(Duration.ofMinutes(90)))));
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofMinutes(120)))));

        Availability a = store.availability("h", T0.minus(Duration.ofHours(1)), T0.plus(Duration.ofMinutes(180)));
        assertThat(a.observedMillis()).isEqualTo(Duration.ofMinutes(150).toMillis());
        assertThat(a.online()).isCloseTo(120.0 / 150.0, within(1e-9));

        Availability firstHour = store.availability("h", T0.plus(Duration.ofMinutes(30)), T0.plus(Duration.ofMinutes(75)));
        assertThat(firstHour.online()).isCloseTo(30.0 / 45.0, within(1e-9));

        List<Availability> hourly = store.availabilityBuckets("h", Duration.ofHours(1), 3, T0.plus(Duration.ofHours(3)));
        assertThat(hourly).extracting(Availability::online).containsExactly(1.0, 0.0, 1.0);
        assertThat(hourly.get(1).observedMillis()).isEqualTo(Duration.ofMinutes(30).toMillis());
        assertThat(store.availability("nobody", T0, T0.plusSeconds(10)).observedMillis()).isZero();
    }

    @Test
    void listsFilterSortAndPageWithoutGapsOrDuplicates() {
        DeviceStore store = store();
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            DeviceStatus status = i % 5 == 0 ? DeviceStatus.OFFLINE : DeviceStatus.ONLINE;
            Instant at = T0.plusSeconds(i % 7);
            changes.add(new Change(device(String.format("host-%02d", i), i < 20 ? "host" : "gateway", i % 2 == 0 ? "sg-a" : "sg-b",
                    status, at), EventType.ONLINE, at, null));
        }
        store.apply(changes);

        for (String sort : List.of("id", "-id", "lastSeen", "-lastSeen", "datacenter", "availability")) {
            Set<String> seen = new HashSet<>();
            String cursor = null;
            int pages = 0;
            do {
                Page<Device> page = store.list(new DeviceQuery(null, null, null, null, null, sort, 4, cursor), T0);
                assertThat(page.total()).isEqualTo(25);
                page.items().forEach(d -> assertThat(seen.add(d.id())).as(sort + " duplicate " + d.id()).isTrue());
                cursor = page.nextCursor();
                pages++;
            } while (cursor != null);
            assertThat(seen).as(sort).hasSize(25);
            assertThat(pages).isEqualTo(7);
        }
        Page<Device> descending = store.list(new DeviceQuery(null, null, null, null, null, "-id", 3, null), T0);
        assertThat(descending.items()).extracting(Device::id).containsExactly("host-24", "host-23", "host-22");

        assertThat(store.list(new DeviceQuery("gateway", null, null, null, null, "id", 100, null), T0).total()).isEqualTo(5);
        assertThat(store.list(new DeviceQuery(null, "sg-a", DeviceStatus.OFFLINE, null, null, "id", 100, null), T0).total())
                .isEqualTo(3); // 0, 10, 20
        assertThat(store.list(new DeviceQuery(null, null, null, "ALICE-HOST-1", null, "id", 100, null), T0).items())
                .extracting(Device::id).hasSize(10).contains("host-10", "host-19").doesNotContain("host-01");
        assertThat(store.list(new DeviceQuery(null, null, null, "gaborone", null, "id", 100, null), T0).total()).isEqualTo(25);
        assertThat(store.list(new DeviceQuery(null, null, null, "host_0", null, "id", 100, null), T0).total())
                .as("'_' is a literal underscore, not a wildcard").isZero();
        assertThat(store.list(new DeviceQuery(null, null, null, "host-0", null, "id", 100, null), T0).total()).isEqualTo(10);
        assertThat(store.list(new DeviceQuery(null, null, null, "%", null, "id", 100, null), T0).total()).isZero();
    }

    @Test
    void belowTargetUsesTheRefreshedAvailability() {
        DeviceStore store = store();
        store.beginObservation(T0);
        Instant now = T0.plus(Duration.ofHours(24));
        store.apply(List.of(change("good", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("bad", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("bad", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(2)))));

        store.refreshAvailability(now);

        assertThat(store.list(new DeviceQuery(null, null, null, null, true, "id", 10, null), now).items())
                .extracting(Device::id).containsExactly("bad");
        assertThat(store.availability24h(List.of("good", "bad"))).containsEntry("good", 1.0)
                .hasEntrySatisfying("bad", a -> assertThat(a).isCloseTo(2.0 / 24.0, within(1e-9)));
        assertThat(store.list(new DeviceQuery(null, null, null, null, null, "-availability", 10, null), now).items())
                .extracting(Device::id).containsExactly("good", "bad");
    }

    @Test
    void countsByDatacenterKindAndStatus() {
        DeviceStore store = store();
        store.apply(List.of(change("a", DeviceStatus.ONLINE, EventType.ONLINE, T0), change("b", DeviceStatus.OFFLINE, EventType.OFFLINE, T0),
                new Change(device("g", "gateway", "sg-b", DeviceStatus.ONLINE, T0), EventType.ONLINE, T0, null)));
        assertThat(store.counts()).containsEntry("sg-a", Map.of("host", Map.of(DeviceStatus.ONLINE, 1L, DeviceStatus.OFFLINE, 1L)))
                .containsEntry("sg-b", Map.of("gateway", Map.of(DeviceStatus.ONLINE, 1L)));
    }

    @Test
    void rejectsAnUnknownSortOrAForgedCursor() {
        DeviceStore store = store();
        assertThatThrownBy(() -> store.list(new DeviceQuery(null, null, null, null, null, "password", 10, null), T0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("password");
        assertThatThrownBy(() -> store.list(new DeviceQuery(null, null, null, null, null, "id", 10, "garbage!"), T0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("garbage!");
    }

    @Test
    void aWindowWithNoObservedTimeIsNoDataNotZeroAndNotBelowTarget() {
        DeviceStore store = store();
        store.beginObservation(T0);
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(30)))));
        Instant now = T0.plus(Duration.ofHours(31));

        Availability before = store.availability("h", T0, T0.plus(Duration.ofHours(24)));
        assertThat(before.observedMillis()).isZero();
        assertThat(before.share()).as("not seen yet: no data").isNull();
        assertThat(store.availability("h", T0.plus(Duration.ofHours(30)), now).share()).isEqualTo(1.0);

        store.apply(List.of(change("u", DeviceStatus.UNKNOWN, EventType.UNKNOWN, T0)));
        store.refreshAvailability(now);
        assertThat(store.availability24h(List.of("u"))).as("UNKNOWN all day: no data").isEmpty();
        assertThat(store.list(new DeviceQuery(null, null, null, null, true, "id", 10, null), now).items()).isEmpty();
    }

    @Test
    void theExplorersOwnDowntimeIsNoDataNotCreditedToTheLastState() {
        DeviceStore store = store();
        // The Explorer observed 0-2 h, was down 2-5 h, observes again from 5 h (its own open period).
        long first = store.beginObservation(T0);
        store.extendObservation(first, T0.plus(Duration.ofHours(2)));
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("h", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(1)))));
        store.beginObservation(T0.plus(Duration.ofHours(5)));
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(6)))));

        Availability a = store.availability("h", T0, T0.plus(Duration.ofHours(8)));
        // observed: 0-2 h (1 online, 1 offline) + 5-8 h (1 offline, 2 online) = 5 h, 3 h online
        assertThat(a.observedMillis()).isEqualTo(Duration.ofHours(5).toMillis());
        assertThat(a.share()).isCloseTo(3.0 / 5.0, within(1e-9));
        List<Availability> hourly = store.availabilityBuckets("h", Duration.ofHours(1), 8, T0.plus(Duration.ofHours(8)));
        assertThat(hourly).extracting(Availability::share).containsExactly(1.0, 0.0, null, null, null, 0.0, 1.0, 1.0);
    }

    @Test
    void aDeviceBuiltFromAHostileRecordFitsTheStore() {
        DeviceStore store = store();
        // What ingest hands the store after bounding: control characters gone, long fields left out.
        Device d = new Device("host-x", "host", "sg-a", DeviceStatus.ONLINE, T0, T0, T0, "{\"labels\":{\"a\":\"\\u0000\"}}",
                "location.city longer than 200 characters (left out)", null, null, "BW", Map.of("a", "b", "é", "ü🙂"));
        store.apply(List.of(new Change(d, EventType.ONLINE, T0, "first seen in sg-a")));
        assertThat(store.find("host-x").orElseThrow().labels()).containsEntry("é", "ü🙂");
    }

    @Test
    void aBatchAppliedAgainAfterALostCommitAnswerAddsNoEventTwice() {
        DeviceStore store = store();
        Instant at = T0.plusNanos(123_456_789); // finer than the column: the check must round as the insert does
        List<Change> batch = List.of(change("h1", DeviceStatus.ONLINE, EventType.ONLINE, at),
                change("h2", DeviceStatus.OFFLINE, EventType.OFFLINE, at));
        store.apply(batch);
        store.apply(batch);
        assertThat(store.eventCount()).isEqualTo(2);
        assertThat(store.eventsRecorded()).as("the counter /metrics reads").isEqualTo(2);
        store.apply(List.of(change("h1", DeviceStatus.OFFLINE, EventType.OFFLINE, at.plusSeconds(1))));
        assertThat(store.eventCount()).isEqualTo(3);
        assertThat(store.eventsRecorded()).isEqualTo(3);
    }

    // ---------------------------------------------------------------- #13: the product's data

    static Device located(String id, String kind, String dc, DeviceStatus status, String gateway, Double lat, Double lon) {
        return new Device(id, kind, dc, status, T0, T0, T0, "{}", null, gateway, null, null, Map.of(), lat, lon);
    }

    private static Change stored(Device d) {
        return new Change(d, EventType.ONLINE, T0, null);
    }

    @Test
    void storesAPositionAndFiltersByGatewayWithCountsPerStatus() {
        DeviceStore store = store();
        store.apply(List.of(stored(located("gw-1", "gateway", "sg-a", DeviceStatus.ONLINE, null, -24.65, 25.91)),
                stored(located("h-1", "host", "sg-a", DeviceStatus.ONLINE, "gw-1", 36.17, -115.14)),
                stored(located("h-2", "host", "sg-a", DeviceStatus.OFFLINE, "gw-1", null, null)),
                stored(located("h-3", "host", "sg-a", DeviceStatus.UNKNOWN, "gw-1", null, null)),
                stored(located("h-4", "host", "sg-b", DeviceStatus.ONLINE, "gw-2", null, null))));

        Device h1 = store.find("h-1").orElseThrow();
        assertThat(h1.lat()).isEqualTo(36.17);
        assertThat(h1.lon()).isEqualTo(-115.14);
        assertThat(store.find("h-2").orElseThrow().lat()).isNull();
        assertThat(store.list(new DeviceQuery(null, null, null, null, null, "id", 10, null, "gw-1"), T0).items())
                .extracting(Device::id).containsExactly("h-1", "h-2", "h-3");
        DeviceQuery offline = new DeviceQuery("host", null, DeviceStatus.OFFLINE, null, null, "id", 10, null, "gw-1");
        assertThat(store.statusCounts(offline)).as("the status filter is what is being counted: ignored")
                .isEqualTo(Map.of(DeviceStatus.ONLINE, 1L, DeviceStatus.OFFLINE, 1L, DeviceStatus.UNKNOWN, 1L));
        assertThat(store.statusCounts(new DeviceQuery(null, "sg-b", null, null, null, "id", 10, null)))
                .isEqualTo(Map.of(DeviceStatus.ONLINE, 1L));
    }

    @Test
    void aScanHandsOverEveryMatchingDeviceInPagesInSortOrder() {
        DeviceStore store = store();
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 2_345; i++) {
            changes.add(stored(located(String.format("h-%05d", i), "host", i % 3 == 0 ? "sg-b" : "sg-a",
                    DeviceStatus.ONLINE, null, null, null)));
        }
        store.apply(changes);
        List<String> seen = new ArrayList<>();
        List<Integer> pages = new ArrayList<>();
        store.scan(new DeviceQuery(null, "sg-a", null, null, null, "-id", 1000, null), (devices, availability) -> {
            pages.add(devices.size());
            devices.forEach(d -> seen.add(d.id()));
        });
        assertThat(pages).containsExactly(1000, 563);
        assertThat(seen).hasSize(1563).doesNotHaveDuplicates().isSortedAccordingTo(java.util.Comparator.reverseOrder());
    }

    @Test
    void eventsNetworkWideAfterASeqOrNewestFirstWithTheDevicesKind() {
        DeviceStore store = store();
        assertThat(store.lastSeq()).isZero();
        store.apply(List.of(stored(located("gw-1", "gateway", "sg-a", DeviceStatus.ONLINE, null, null, null))));
        store.apply(List.of(change("h-1", DeviceStatus.ONLINE, EventType.ONLINE, T0.plusSeconds(1))));
        store.apply(List.of(change("h-1", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plusSeconds(2))));
        List<Event> all = store.eventsAfter(0, 10);
        assertThat(all).extracting(Event::deviceId).containsExactly("gw-1", "h-1", "h-1");
        assertThat(all).extracting(Event::kind).containsExactly("gateway", "host", "host");
        assertThat(store.lastSeq()).isEqualTo(all.get(2).seq());
        assertThat(store.eventsAfter(all.get(0).seq(), 1)).extracting(Event::seq).containsExactly(all.get(1).seq());
        assertThat(store.latestEvents(2)).extracting(Event::type).containsExactly(EventType.OFFLINE, EventType.ONLINE);
        assertThat(store.eventsBetween("h-1", T0.plusSeconds(2), T0.plusSeconds(3))).extracting(Event::type)
                .containsExactly(EventType.OFFLINE);
        assertThat(store.eventsBetween("h-1", T0, T0.plusSeconds(2))).extracting(Event::type).containsExactly(EventType.ONLINE);
    }

    @Test
    void aTimelineSaysNoDataWhereNothingWasObserved() {
        DeviceStore store = store();
        long first = store.beginObservation(T0);
        store.extendObservation(first, T0.plus(Duration.ofHours(3)));
        store.apply(List.of(change("h", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(1)))));
        store.apply(List.of(change("h", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(2)))));
        store.beginObservation(T0.plus(Duration.ofHours(4))); // down 3-4 h, open from 4 h
        store.apply(List.of(change("h", DeviceStatus.UNKNOWN, EventType.UNKNOWN, T0.plus(Duration.ofHours(5)))));

        assertThat(store.timeline("h", T0, T0.plus(Duration.ofHours(6)))).containsExactly(
                new StateSpan("nodata", T0, T0.plus(Duration.ofHours(1))),
                new StateSpan("online", T0.plus(Duration.ofHours(1)), T0.plus(Duration.ofHours(2))),
                new StateSpan("offline", T0.plus(Duration.ofHours(2)), T0.plus(Duration.ofHours(3))),
                new StateSpan("nodata", T0.plus(Duration.ofHours(3)), T0.plus(Duration.ofHours(4))),
                new StateSpan("offline", T0.plus(Duration.ofHours(4)), T0.plus(Duration.ofHours(5))),
                new StateSpan("unknown", T0.plus(Duration.ofHours(5)), T0.plus(Duration.ofHours(6))));
    }

    @Test
    void everyGatewayOfADatacenterWithItsHostsByStatus() {
        DeviceStore store = store();
        store.apply(List.of(stored(located("gw-1", "gateway", "sg-a", DeviceStatus.ONLINE, null, null, null)),
                stored(located("gw-2", "gateway", "sg-a", DeviceStatus.OFFLINE, null, null, null)),
                stored(located("gw-3", "gateway", "sg-b", DeviceStatus.ONLINE, null, null, null)),
                stored(located("h-1", "host", "sg-a", DeviceStatus.ONLINE, "gw-1", null, null)),
                stored(located("h-2", "host", "sg-a", DeviceStatus.ONLINE, "gw-1", null, null)),
                stored(located("h-3", "host", "sg-a", DeviceStatus.OFFLINE, "gw-1", null, null))));
        assertThat(store.gateways("sg-a")).containsExactly(
                new GatewayHosts("gw-1", DeviceStatus.ONLINE, Map.of(DeviceStatus.ONLINE, 2L, DeviceStatus.OFFLINE, 1L)),
                new GatewayHosts("gw-2", DeviceStatus.OFFLINE, Map.of()));
        assertThat(store.gateways("nowhere")).isEmpty();
    }

    @Test
    void theMapAggregatesIntoCellsWithMeanPositionsAndCountsTheUnlocated() {
        DeviceStore store = store();
        store.apply(List.of(stored(located("a", "host", "sg-a", DeviceStatus.ONLINE, null, 10.0, 10.0)),
                stored(located("b", "host", "sg-a", DeviceStatus.OFFLINE, null, 12.0, 14.0)),
                stored(located("c", "gateway", "sg-b", DeviceStatus.ONLINE, null, 12.0, 12.0)),
                stored(located("d", "host", "sg-a", DeviceStatus.ONLINE, null, -33.9, 151.2)),
                stored(located("e", "host", "sg-a", DeviceStatus.ONLINE, null, -17.0, 179.0)),
                stored(located("u1", "host", "sg-a", DeviceStatus.OFFLINE, null, null, null)),
                stored(located("u2", "stargate", "sg-a", DeviceStatus.ONLINE, null, null, null))));

        MapGrid world = store.map(new MapQuery(22.5, null, null, null, null));
        assertThat(world.cells()).hasSize(3);
        MapGrid.Cell africa = world.cells().stream().filter(c -> c.row() == 0 && c.col() == 0).findFirst().orElseThrow();
        assertThat(africa.count()).isEqualTo(3);
        assertThat(africa.lat()).isCloseTo(34.0 / 3, within(1e-9));
        assertThat(africa.lon()).isCloseTo(12.0, within(1e-9));
        assertThat(africa.byStatus()).containsEntry(DeviceStatus.ONLINE, 2L).containsEntry(DeviceStatus.OFFLINE, 1L);
        assertThat(africa.byKind()).isEqualTo(Map.of("host", 2L, "gateway", 1L));
        assertThat(world.unlocated()).containsEntry(DeviceStatus.OFFLINE, 1L).containsEntry(DeviceStatus.ONLINE, 1L);

        MapGrid fine = store.map(new MapQuery(2.8125, null, "host", null, "sg-a"));
        assertThat(fine.cells()).extracting(MapGrid.Cell::count).containsOnly(1L).hasSize(4);
        assertThat(fine.unlocated()).containsEntry(DeviceStatus.OFFLINE, 1L).containsEntry(DeviceStatus.ONLINE, 0L);

        MapGrid offline = store.map(new MapQuery(22.5, null, null, DeviceStatus.OFFLINE, null));
        assertThat(offline.cells()).extracting(MapGrid.Cell::count).containsExactly(1L);

        MapGrid box = store.map(new MapQuery(2.8125, new double[] {5, 5, 13, 13}, null, null, null));
        assertThat(box.cells()).extracting(MapGrid.Cell::count).containsExactlyInAnyOrder(1L, 1L);
        MapGrid pacific = store.map(new MapQuery(22.5, new double[] {170, -40, -170, 0}, null, null, null));
        assertThat(pacific.cells()).as("a bbox across the antimeridian").extracting(MapGrid.Cell::lon).containsExactly(179.0);
    }

    @Test
    void theListTakesACellsBboxHalfOpenAsTheMapGridAndFiltersByHavingALocation() {
        DeviceStore store = store();
        store.apply(List.of(stored(located("in", "host", "sg-a", DeviceStatus.ONLINE, null, 10.0, 10.0)),
                stored(located("west-edge", "host", "sg-a", DeviceStatus.OFFLINE, null, 5.0, 0.0)),
                stored(located("east-edge", "host", "sg-a", DeviceStatus.ONLINE, null, 5.0, 22.5)),
                stored(located("north-edge", "host", "sg-a", DeviceStatus.ONLINE, null, 22.5, 5.0)),
                stored(located("date-line", "host", "sg-a", DeviceStatus.ONLINE, null, -17.0, 179.0)),
                stored(located("world-corner", "host", "sg-a", DeviceStatus.ONLINE, null, 90.0, 180.0)),
                stored(located("nowhere", "host", "sg-a", DeviceStatus.ONLINE, null, null, null))));
        DeviceQuery all = new DeviceQuery(null, null, null, null, null, "id", 100, null);

        // The zoom-0 cell [0, 22.5) x [0, 22.5): a device on its east or north edge is the next cell's.
        DeviceQuery cell = all.within(new double[] {0, 0, 22.5, 22.5}, null);
        assertThat(store.list(cell, T0).items()).extracting(Device::id).containsExactly("in", "west-edge");
        assertThat(store.list(cell, T0).total()).isEqualTo(2);
        assertThat(store.statusCounts(cell)).containsEntry(DeviceStatus.ONLINE, 1L).containsEntry(DeviceStatus.OFFLINE, 1L);
        assertThat(store.list(cell.from(null).within(new double[] {22.5, 0, 45, 22.5}, null), T0).items())
                .extracting(Device::id).containsExactly("east-edge");
        assertThat(store.list(all.within(new double[] {170, -40, -170, 0}, null), T0).items()).as("across the antimeridian")
                .extracting(Device::id).containsExactly("date-line");
        assertThat(store.list(all.within(new double[] {157.5, 67.5, 180, 90}, null), T0).items())
                .as("the world's north and east edges belong to the last cell").extracting(Device::id).containsExactly("world-corner");

        assertThat(store.list(all.within(null, false), T0).items()).extracting(Device::id).containsExactly("nowhere");
        assertThat(store.list(all.within(null, true), T0).total()).isEqualTo(6);
    }

    @Test
    void theAvailabilityReportComputedFromEventsAgreesWithTheRefreshedColumn() {
        DeviceStore store = store();
        store.beginObservation(T0);
        Instant now = T0.plus(Duration.ofHours(24));
        store.apply(List.of(change("good", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("bad", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("bad", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(6)))));
        store.apply(List.of(change("never", DeviceStatus.UNKNOWN, EventType.UNKNOWN, T0)));
        store.apply(List.of(new Change(device("gw", "gateway", "sg-b", DeviceStatus.ONLINE, T0), EventType.ONLINE, T0, null)));
        // Stored out of time order (seq order is not time order): offline from 1 h, online from 2 h.
        store.apply(List.of(change("late", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(2)))));
        store.apply(List.of(change("late", DeviceStatus.ONLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(1)))));
        store.refreshAvailability(now);

        List<ReportRow> stored = store.availabilityReport(T0, now, true);
        List<ReportRow> computed = store.availabilityReport(T0, now, false);
        ReportRow hosts = new ReportRow("host", "sg-a", 4, 3, (1.0 + 0.25 + 22.0 / 23) / 3, 1);
        assertThat(stored).hasSize(2);
        assertThat(stored.get(1).kind()).isEqualTo("host");
        for (List<ReportRow> rows : List.of(stored, computed)) {
            assertThat(rows).hasSize(2);
            assertThat(rows.get(0)).isEqualTo(new ReportRow("gateway", "sg-b", 1, 1, 1.0, 0));
            ReportRow h = rows.get(1);
            assertThat(List.of(h.kind(), h.datacenter(), h.devices(), h.observed(), h.belowTarget()))
                    .isEqualTo(List.of(hosts.kind(), hosts.datacenter(), hosts.devices(), hosts.observed(), hosts.belowTarget()));
            assertThat(h.mean()).isCloseTo(hosts.mean(), within(1e-9));
        }
    }

    @Test
    void theSetBasedRefreshGivesEachDeviceItsOwnAvailabilityAtTheWindowsEdges() {
        DeviceStore store = store();
        // Observed 0-12 h, the Explorer down 12-14 h, observing again from 14 h (open period).
        long first = store.beginObservation(T0);
        store.extendObservation(first, T0.plus(Duration.ofHours(12)));
        store.beginObservation(T0.plus(Duration.ofHours(14)));
        Instant now = T0.plus(Duration.ofHours(30));
        Instant from = now.minus(Duration.ofHours(24)); // 6 h
        store.apply(List.of(change("straddle", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(1)))));
        store.apply(List.of(change("straddle", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(10)))));
        store.apply(List.of(change("at-start", DeviceStatus.OFFLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(1)))));
        store.apply(List.of(change("at-start", DeviceStatus.ONLINE, EventType.ONLINE, from)));
        store.apply(List.of(change("always-on", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(change("migrated", DeviceStatus.ONLINE, EventType.MIGRATED, T0.plus(Duration.ofHours(2)))));
        store.apply(List.of(change("always-off", DeviceStatus.OFFLINE, EventType.OFFLINE, T0)));
        store.apply(List.of(change("unknown", DeviceStatus.UNKNOWN, EventType.UNKNOWN, T0.plus(Duration.ofHours(1)))));
        store.apply(List.of(new Change(device("never-seen", "host", "sg-a", DeviceStatus.OFFLINE, T0), null, T0, null)));
        store.apply(List.of(change("in-gap", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(13)))));
        store.apply(List.of(change("future", DeviceStatus.ONLINE, EventType.ONLINE, now.plus(Duration.ofHours(1)))));
        // Stored out of time order: online from 20 h, then an offline from 8 h arrives.
        store.apply(List.of(change("late", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofHours(20)))));
        store.apply(List.of(change("late", DeviceStatus.ONLINE, EventType.OFFLINE, T0.plus(Duration.ofHours(8)))));
        List<String> ids = List.of("straddle", "at-start", "always-on", "migrated", "always-off", "unknown", "never-seen",
                "in-gap", "future", "late");

        store.refreshAvailability(now);

        Map<String, Double> refreshed = store.availability24h(ids);
        for (String id : ids) {
            Double own = store.availability(id, from, now).share();
            assertThat(refreshed.get(id)).as(id).isEqualTo(own);
        }
        // observed 6-12 h and 14-30 h: 22 h
        assertThat(refreshed.get("straddle")).isCloseTo(4.0 / 22, within(1e-12));
        assertThat(refreshed).containsEntry("at-start", 1.0).containsEntry("always-on", 1.0).containsEntry("migrated", 1.0)
                .containsEntry("always-off", 0.0).containsEntry("in-gap", 1.0)
                .doesNotContainKeys("unknown", "never-seen", "future");
        assertThat(refreshed.get("late")).isCloseTo(10.0 / 20, within(1e-12)); // offline 8-12 and 14-20, online 20-30

        // A day later every event has left the window: each device is in one state all day.
        Instant later = now.plus(Duration.ofHours(26));
        store.refreshAvailability(later);
        Map<String, Double> dayLater = store.availability24h(ids);
        for (String id : ids) {
            assertThat(dayLater.get(id)).as(id).isEqualTo(store.availability(id, later.minus(Duration.ofHours(24)), later).share());
        }
        assertThat(dayLater).containsEntry("straddle", 0.0).containsEntry("late", 1.0).containsEntry("future", 1.0);
    }

    @Test
    void availabilityOverARangeIsTheSameBeforeAndAfterRetentionPrunesTheRawEvents() {
        DeviceStore store = store();
        // Observed 0-4 d, the Explorer down 4 d-4 d 5 h, observing again since (open period).
        long first = store.beginObservation(T0);
        store.extendObservation(first, T0.plus(Duration.ofDays(4)));
        store.beginObservation(T0.plus(Duration.ofDays(4)).plus(Duration.ofHours(5)));
        java.util.Random random = new java.util.Random(15);
        EventType[] types = {EventType.ONLINE, EventType.OFFLINE, EventType.UNKNOWN, EventType.UPDATED, EventType.OFFLINE};
        List<String> ids = new ArrayList<>(List.of("all-pruned", "never-seen"));
        for (int d = 0; d < 5; d++) {
            String id = "h" + d;
            ids.add(id);
            List<Change> changes = new ArrayList<>();
            for (int e = 0; e < 60; e++) {
                // changes at any minute of 10 days, several in some hours, some minutes apart
                Instant at = T0.plus(Duration.ofMinutes(random.nextInt(10 * 24 * 60))).plusMillis(random.nextInt(60_000));
                EventType type = types[random.nextInt(types.length)];
                changes.add(change(id, type == EventType.OFFLINE ? DeviceStatus.OFFLINE : DeviceStatus.ONLINE, type, at));
            }
            store.apply(changes); // one batch, in no time order: seq order is not time order
        }
        store.apply(List.of(change("all-pruned", DeviceStatus.ONLINE, EventType.ONLINE, T0.plus(Duration.ofMinutes(90)))));
        store.apply(List.of(new Change(device("never-seen", "host", "sg-a", DeviceStatus.OFFLINE, T0), null, T0, null)));
        Instant now = T0.plus(Duration.ofDays(10)).plus(Duration.ofMinutes(17));
        List<Instant[]> ranges = List.of(new Instant[] {T0, now}, new Instant[] {T0.plus(Duration.ofHours(30)), T0.plus(Duration.ofDays(3))},
                new Instant[] {T0.plus(Duration.ofDays(3)), T0.plus(Duration.ofDays(9))}, // across the horizon (7 d)
                new Instant[] {T0.plus(Duration.ofDays(8)), now}, new Instant[] {now.minus(Duration.ofHours(24)), now});
        Map<String, List<Availability>> before = new java.util.HashMap<>();
        for (String id : ids) {
            List<Availability> all = new ArrayList<>();
            ranges.forEach(r -> all.add(store.availability(id, r[0], r[1])));
            all.addAll(store.availabilityBuckets(id, Duration.ofDays(1), 10, T0.plus(Duration.ofDays(10))));
            before.put(id, all);
        }
        List<ReportRow> reportBefore = store.availabilityReport(T0, T0.plus(Duration.ofDays(9)), false);
        long eventsBefore = store.eventCount();

        Pruned pruned = store.pruneEvents(now, Duration.ofDays(3), 10_000); // cut-off: 7 d
        assertThat(pruned.eventsDeleted()).isPositive();
        assertThat(store.eventCount()).isEqualTo(eventsBefore - pruned.eventsDeleted());
        assertThat(store.eventsBetween("h0", T0, T0.plus(Duration.ofDays(7)))).as("raw events before the cut-off").isEmpty();
        assertThat(store.events("all-pruned", null, 10)).isEmpty();

        for (String id : ids) {
            List<Availability> all = new ArrayList<>();
            ranges.forEach(r -> all.add(store.availability(id, r[0], r[1])));
            all.addAll(store.availabilityBuckets(id, Duration.ofDays(1), 10, T0.plus(Duration.ofDays(10))));
            for (int i = 0; i < all.size(); i++) {
                Availability a = before.get(id).get(i);
                Availability b = all.get(i);
                assertThat(b.observedMillis()).as(id + " range " + i + " observed").isEqualTo(a.observedMillis());
                assertThat(b.online()).as(id + " range " + i + " online").isCloseTo(a.online(), within(1e-12));
            }
        }
        List<ReportRow> reportAfter = store.availabilityReport(T0, T0.plus(Duration.ofDays(9)), false);
        assertThat(reportAfter).hasSameSizeAs(reportBefore);
        for (int i = 0; i < reportBefore.size(); i++) {
            ReportRow a = reportBefore.get(i);
            ReportRow b = reportAfter.get(i);
            assertThat(List.of(b.kind(), b.datacenter(), b.devices(), b.observed(), b.belowTarget()))
                    .isEqualTo(List.of(a.kind(), a.datacenter(), a.devices(), a.observed(), a.belowTarget()));
            assertThat(b.mean()).isCloseTo(a.mean(), within(1e-12));
        }
        // The refresh's state before its window now comes from retention's anchor for devices
        // whose last earlier event was pruned.
        store.refreshAvailability(now);
        Map<String, Double> refreshed = store.availability24h(ids);
        for (String id : ids) {
            assertThat(refreshed.get(id)).as(id).isEqualTo(before.get(id).get(4).share()); // [now - 24 h, now) before pruning
        }
        assertThat(store.pruneEvents(now, Duration.ofDays(3), 10_000).eventsDeleted()).as("nothing left to prune").isZero();
    }

    @Test
    void theListCountsExactlyUpToTheCapThenSaysAtLeastAndSortsByEveryColumn() {
        DeviceStore store = store();
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            changes.add(new Change(device("d" + i, i == 0 ? "gateway" : "host", "sg-" + (5 - i), DeviceStatus.ONLINE,
                    T0.plusSeconds(i)), EventType.ONLINE, T0.plusSeconds(i), null));
        }
        store.apply(changes);
        JdbcDeviceStore jdbc = (JdbcDeviceStore) store;
        DeviceQuery all = new DeviceQuery(null, null, null, null, null, "id", 2, null);
        Page<Device> capped = jdbc.list(all, 3);
        assertThat(capped.total()).isEqualTo(3);
        assertThat(capped.totalIsLowerBound()).isTrue();
        Page<Device> exact = jdbc.list(all, 5);
        assertThat(exact.total()).isEqualTo(5);
        assertThat(exact.totalIsLowerBound()).as("exactly the cap matched: exact").isFalse();
        assertThat(store.list(all, T0).totalIsLowerBound()).isFalse();
        for (String sort : List.of("kind", "datacenter", "firstSeen", "-lastSeen", "status", "-availability")) {
            List<String> ids = new ArrayList<>();
            DeviceQuery q = new DeviceQuery(null, null, null, null, null, sort, 2, null);
            Page<Device> page;
            do {
                page = store.list(q, T0);
                page.items().forEach(d -> ids.add(d.id()));
                q = q.from(page.nextCursor());
            } while (page.nextCursor() != null);
            assertThat(ids).as(sort).hasSize(5).doesNotHaveDuplicates();
        }
    }
}
