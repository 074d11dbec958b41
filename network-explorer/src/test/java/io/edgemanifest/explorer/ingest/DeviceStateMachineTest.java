package io.edgemanifest.explorer.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.edgemanifest.explorer.store.Change;
import io.edgemanifest.explorer.store.Device;
import io.edgemanifest.explorer.store.DeviceStatus;
import io.edgemanifest.explorer.store.EventType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeviceStateMachineTest {

    private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant T1 = T0.plusSeconds(60);
    private static final String ID = "host-1";
    private static final java.time.Duration GRACE = java.time.Duration.ofSeconds(45);

    /** A monotonic reading {@code s} seconds after an arbitrary origin. */
    private static long secs(long s) {
        return java.time.Duration.ofSeconds(s).toNanos();
    }

    private static ReplicaView view(String dc) {
        ReplicaView view = new ReplicaView(dc);
        view.recordsRead = true;
        view.servicesRead = true;
        return view;
    }

    private static ReplicaView withHost(String dc, String json, String status) {
        ReplicaView view = view(dc);
        view.records.put(ID, new ReplicaView.RecordEntry("host", json));
        view.serviceStatus.put(ID, status);
        return view;
    }

    /** A device as the store holds it: its fields derived from its record, as ingest stored them. */
    private static Device known(String dc, DeviceStatus status, String json) {
        Device d = DeviceStateMachine.fromRecord(ID, new ReplicaView.RecordEntry("host", json), dc, null, T0);
        return new Device(ID, "host", dc, status, T0, T0, T0, d.recordJson(), d.parseError(), d.gateway(), d.city(),
                d.country(), d.labels());
    }

    private static Optional<Change> next(Device known, ReplicaView... views) {
        return DeviceStateMachine.next(ID, known, List.of(views), T1);
    }

    @Test
    void firstSeenOnlineIsOnline() {
        Change change = next(null, withHost("sg-a", "{\"gateway\":\"gw-1\"}", "passing")).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.ONLINE);
        assertThat(change.device().status()).isEqualTo(DeviceStatus.ONLINE);
        assertThat(change.device().gateway()).isEqualTo("gw-1");
        assertThat(change.device().firstSeen()).isEqualTo(T1);
    }

    @Test
    void aRecordDestroyedWhileItsCheckPassesIsMissingForTheGraceNotOffline() {
        ReplicaView home = view("sg-a");
        home.serviceStatus.put(ID, "passing");
        home.trackMissingRecords(secs(30));
        Device online = known("sg-a", DeviceStatus.ONLINE, "{}");

        assertThat(DeviceStateMachine.next(ID, online, List.of(home), T1, secs(60), GRACE)).isEmpty();

        Change change = DeviceStateMachine.next(ID, online, List.of(home), T1.plusSeconds(15), secs(75), GRACE).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.OFFLINE);
        assertThat(change.detail()).contains("record missing");
    }

    @Test
    void aHostWhoseAgentDiedIsUnknownForTheGraceThenOffline() {
        ReplicaView home = withHost("sg-a", "{}", "agent-down");
        home.trackMissingRecords(secs(0));
        Device online = known("sg-a", DeviceStatus.ONLINE, "{}");
        java.time.Duration grace = java.time.Duration.ofSeconds(60);

        Change unknown = DeviceStateMachine.next(ID, online, List.of(home), T1.plusSeconds(5), secs(5), java.time.Duration.ZERO, grace)
                .orElseThrow();
        assertThat(unknown.event()).isEqualTo(EventType.UNKNOWN);
        assertThat(unknown.detail()).contains("agent");
        Device wasUnknown = known("sg-a", DeviceStatus.UNKNOWN, "{}");
        assertThat(DeviceStateMachine.next(ID, wasUnknown, List.of(home), T1.plusSeconds(59), secs(59), java.time.Duration.ZERO, grace))
                .isEmpty();

        Change offline = DeviceStateMachine.next(ID, wasUnknown, List.of(home), T1.plusSeconds(60), secs(60), java.time.Duration.ZERO, grace)
                .orElseThrow();
        assertThat(offline.event()).isEqualTo(EventType.OFFLINE);
    }

    @Test
    void aHostWhoseAgentDiedIsOnlineAgainOncePassingOnAnotherAgent() {
        ReplicaView home = withHost("sg-a", "{}", "passing"); // replicate's best instance: the passing one
        home.trackMissingRecords(secs(0));
        assertThat(home.agentDownSince).isEmpty();
        Change back = next(known("sg-a", DeviceStatus.UNKNOWN, "{}"), home).orElseThrow();
        assertThat(back.event()).isEqualTo(EventType.ONLINE);
    }

    @Test
    void anUnknownDeviceWhoseRecordIsBeingRewrittenIsNotOfflineDuringTheGrace() {
        // Back from agent-down on another agent: its new instance passes a moment before its record is back.
        ReplicaView home = view("sg-a");
        home.serviceStatus.put(ID, "passing");
        home.trackMissingRecords(secs(0));
        Device unknown = known("sg-a", DeviceStatus.UNKNOWN, "{}");
        assertThat(DeviceStateMachine.next(ID, unknown, List.of(home), T1.plusSeconds(1), secs(1), java.time.Duration.ofSeconds(45)))
                .isEmpty();
    }

    @Test
    void nothingGoesOfflineInADatacenterReplicateReportsSyncing() {
        ReplicaView home = view("sg-a"); // the replica being rebuilt: nothing there yet
        home.syncing = true;
        assertThat(next(known("sg-a", DeviceStatus.ONLINE, "{}"), home)).isEmpty();
        home.syncing = false;
        assertThat(next(known("sg-a", DeviceStatus.ONLINE, "{}"), home).orElseThrow().event()).isEqualTo(EventType.OFFLINE);
    }

    @Test
    void aMissingRecordWhoseCheckFailsIsOfflineAtOnce() {
        ReplicaView home = view("sg-a");
        home.serviceStatus.put(ID, "critical");
        home.trackMissingRecords(0);
        Change change = DeviceStateMachine.next(ID, known("sg-a", DeviceStatus.ONLINE, "{}"), List.of(home), T1,
                secs(60), GRACE).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.OFFLINE);
        assertThat(home.recordMissingSince).isEmpty();
    }

    @Test
    void aRecordWithoutPassingServiceIsNotOnline() {
        assertThat(next(null, withHost("sg-a", "{}", "critical"))).isEmpty();
    }

    @Test
    void goneFromAReadableDatacenterIsOffline() {
        Change change = next(known("sg-a", DeviceStatus.ONLINE, "{}"), view("sg-a")).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.OFFLINE);
        assertThat(change.device().lastSeen()).isEqualTo(T1);
    }

    @Test
    void goneWhileItsDatacenterIsUnreachableIsUnknownNotOffline() {
        ReplicaView down = view("sg-a");
        down.unreachable = true;
        Change change = next(known("sg-a", DeviceStatus.ONLINE, "{}"), down).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.UNKNOWN);
        assertThat(next(change.device(), down)).as("no second UNKNOWN").isEmpty();
    }

    @Test
    void backFromUnknownIsOnlineAgain() {
        Change change = next(known("sg-a", DeviceStatus.UNKNOWN, "{}"), withHost("sg-a", "{}", "passing")).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.ONLINE);
    }

    @Test
    void aDatacenterNotYetReadGivesNoVerdict() {
        ReplicaView unread = new ReplicaView("sg-a");
        assertThat(next(known("sg-a", DeviceStatus.ONLINE, "{}"), unread)).isEmpty();
    }

    @Test
    void onlineElsewhereIsAMigration() {
        Change change = next(known("sg-a", DeviceStatus.ONLINE, "{}"), view("sg-a"), withHost("sg-b", "{}", "passing"))
                .orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.MIGRATED);
        assertThat(change.device().datacenter()).isEqualTo("sg-b");
        assertThat(change.detail()).isEqualTo("sg-a -> sg-b");
    }

    @Test
    void duringAMigrationOverlapItStaysWhereItWas() {
        assertThat(next(known("sg-a", DeviceStatus.ONLINE, "{}"), withHost("sg-b", "{}", "passing"),
                withHost("sg-a", "{}", "passing"))).isEmpty();
    }

    @Test
    void aChangedRecordIsAnUpdateAndAnUnchangedOneIsNothing() {
        Device before = known("sg-a", DeviceStatus.ONLINE, "{\"gateway\":\"gw-1\"}");
        assertThat(next(before, withHost("sg-a", "{\"gateway\":\"gw-1\"}", "passing"))).isEmpty();
        Change change = next(before, withHost("sg-a", "{\"gateway\":\"gw-2\"}", "passing")).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.UPDATED);
        assertThat(change.detail()).contains("gateway");
    }

    @Test
    void aMalformedRecordMarksTheDeviceAndIngestGoesOn() {
        Change change = next(null, withHost("sg-a", "{not json", "passing")).orElseThrow();
        assertThat(change.device().parseError()).startsWith("unreadable record");
        assertThat(change.device().recordJson()).isNull();
        assertThat(change.device().status()).isEqualTo(DeviceStatus.ONLINE);
    }

    @Test
    void offlineStaysOfflineWithoutNewEvents() {
        assertThat(next(known("sg-a", DeviceStatus.OFFLINE, "{}"), view("sg-a"))).isEmpty();
    }

    @Test
    void aWallClockStepForwardDoesNotEndARecordGrace() {
        ReplicaView home = view("sg-a");
        home.serviceStatus.put(ID, "passing");
        home.trackMissingRecords(secs(0));
        Device online = known("sg-a", DeviceStatus.ONLINE, "{}");
        // NTP steps the wall clock an hour forward one second later: the grace is an interval.
        assertThat(DeviceStateMachine.next(ID, online, List.of(home), T1.plusSeconds(3600), secs(1), GRACE)).isEmpty();
    }

    @Test
    void aDatacenterStillSyncingConcludesNoOfflineButShowsWhatIsThere() {
        ReplicaView syncing = view("sg-a");
        syncing.syncing = true;
        assertThat(next(known("sg-a", DeviceStatus.ONLINE, "{}"), syncing)).as("absent may be not copied yet").isEmpty();
        ReplicaView present = withHost("sg-a", "{}", "passing");
        present.syncing = true;
        assertThat(next(known("sg-a", DeviceStatus.OFFLINE, "{}"), present).orElseThrow().event()).isEqualTo(EventType.ONLINE);
    }

    @Test
    void aHostileRecordIsBoundedFieldByFieldAndMarkedNotRefused() {
        StringBuilder labels = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            labels.append("\"k").append(i).append("\":\"v\",");
        }
        String json = "{\"gateway\":\"gw\\\"; DROP\",\"location\":{\"city\":\"" + "x".repeat(250)
                + "\",\"country\":\"B\\u0000W\"},\"labels\":{" + labels + "\"long\":\"" + "v".repeat(300) + "\"}}";
        Change change = next(null, withHost("sg-a", json, "passing")).orElseThrow();
        Device d = change.device();
        assertThat(d.status()).isEqualTo(DeviceStatus.ONLINE);
        assertThat(d.city()).as("250 characters do not fit VARCHAR(200)").isNull();
        assertThat(d.country()).as("NUL stripped: PostgreSQL refuses it in text").isEqualTo("BW");
        assertThat(d.gateway()).isNull();
        assertThat(d.labels()).hasSize(32);
        assertThat(d.parseError()).contains("location.city longer than 200", "gateway is not a node ID", "more than 32 labels");
        assertThat(d.recordJson()).as("the record itself is valid JSON and kept").isEqualTo(json);
    }

    @Test
    void aRecordTooLargeOrNotUtf8IsMarkedWithoutBeingParsed() {
        ReplicaView home = view("sg-a");
        home.records.put(ID, new ReplicaView.RecordEntry("host", "", "record of 70000 bytes is larger than 65536 (not stored)"));
        home.serviceStatus.put(ID, "passing");
        Device d = next(null, home).orElseThrow().device();
        assertThat(d.parseError()).contains("70000 bytes");
        assertThat(d.recordJson()).isNull();
        assertThat(d.status()).isEqualTo(DeviceStatus.ONLINE);
    }

    @Test
    void timestampAndCounterChurnIsStoredWithoutAnEventAndAVersionChangeIsAnUpdate() {
        Device before = known("sg-a", DeviceStatus.ONLINE, "{\"version\":\"1\",\"startedAt\":\"2026-11-01T00:00:00Z\"}");
        Change churn = next(before, withHost("sg-a", "{\"version\":\"1\",\"startedAt\":\"2026-11-01T00:05:00Z\","
                + "\"attachedHosts\":7}", "passing")).orElseThrow();
        assertThat(churn.event()).as("nothing a person cares about changed").isNull();
        assertThat(churn.device().recordJson()).contains("00:05:00");
        Change update = next(before, withHost("sg-a", "{\"version\":\"2\",\"startedAt\":\"2026-11-01T00:00:00Z\"}",
                "passing")).orElseThrow();
        assertThat(update.event()).isEqualTo(EventType.UPDATED);
        assertThat(update.detail()).contains("version 1 -> 2");
    }

    @Test
    void massLossIsEverythingOrMoreThanHalfAndAtLeastFive() {
        assertThat(ReplicaIngest.massLoss(java.util.Set.of("a"), java.util.Set.of())).isTrue();
        assertThat(ReplicaIngest.massLoss(java.util.Set.of("a", "b", "c"), java.util.Set.of("a"))).as("2 of 3").isFalse();
        java.util.Set<String> ten = java.util.Set.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        assertThat(ReplicaIngest.massLoss(ten, java.util.Set.of("0", "1", "2", "3"))).as("6 of 10").isTrue();
        assertThat(ReplicaIngest.massLoss(ten, java.util.Set.of("0", "1", "2", "3", "4", "5"))).as("4 of 10").isFalse();
        assertThat(ReplicaIngest.massLoss(java.util.Set.of(), java.util.Set.of())).isFalse();
    }

    @Test
    void aRecordsCoordinatesBecomeItsPositionAndOutOfRangeOnesAreLeftOutAndNamed() {
        String json = "{\"location\":{\"city\":\"Las Vegas\",\"country\":\"US\",\"lat\":36.17,\"lon\":-115.14}}";
        Device d = next(null, withHost("sg-a", json, "passing")).orElseThrow().device();
        assertThat(d.lat()).isEqualTo(36.17);
        assertThat(d.lon()).isEqualTo(-115.14);
        assertThat(d.parseError()).isNull();

        Device far = next(null, withHost("sg-a", "{\"location\":{\"lat\":91,\"lon\":0}}", "passing")).orElseThrow().device();
        assertThat(far.lat()).isNull();
        assertThat(far.parseError()).contains("location.lat/lon out of range");
        Device text = next(null, withHost("sg-a", "{\"location\":{\"lat\":\"36\",\"lon\":1}}", "passing")).orElseThrow().device();
        assertThat(text.lat()).isNull();
        assertThat(text.parseError()).contains("not a pair of numbers");
    }

    @Test
    void aPositionFilledFromAnUnchangedRecordIsStoredWithoutAnEventButAMoveIsAnUpdate() {
        String json = "{\"location\":{\"city\":\"Gaborone\",\"country\":\"BW\",\"lat\":-24.65,\"lon\":25.91}}";
        // Stored before V2_2: the same record, no position columns yet.
        Device before = known("sg-a", DeviceStatus.ONLINE, json);
        assertThat(before.lat()).isNull();
        Change backfill = next(before, withHost("sg-a", json, "passing")).orElseThrow();
        assertThat(backfill.event()).as("no UPDATED storm at the first ingest after the upgrade").isNull();
        assertThat(backfill.device().lat()).isEqualTo(-24.65);

        Device placed = backfill.device();
        String moved = json.replace("-24.65", "-24.70");
        Change move = next(placed, withHost("sg-a", moved, "passing")).orElseThrow();
        assertThat(move.event()).isEqualTo(EventType.UPDATED);
        assertThat(move.detail()).contains("location");
        assertThat(next(placed, withHost("sg-a", json, "passing"))).as("nothing changed: nothing to write").isEmpty();
    }
}
