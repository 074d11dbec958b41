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
    void aChangeWithoutEventUpdatesOnlyTheDevice() {
        DeviceStore store = store();
        store.apply(List.of(change("host-1", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        store.apply(List.of(new Change(device("host-1", "host", "sg-b", DeviceStatus.ONLINE, T0), null, T0, null)));
        assertThat(store.find("host-1").orElseThrow().datacenter()).isEqualTo("sg-b");
        assertThat(store.eventCount()).isEqualTo(1);
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
        store.apply(List.of(change("h1", DeviceStatus.OFFLINE, EventType.OFFLINE, at.plusSeconds(1))));
        assertThat(store.eventCount()).isEqualTo(3);
    }
}
