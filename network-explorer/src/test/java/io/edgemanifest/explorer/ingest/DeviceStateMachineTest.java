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

    private static Device known(String dc, DeviceStatus status, String json) {
        return new Device(ID, "host", dc, status, T0, T0, T0, json, null, null, null, null, null);
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
        home.trackMissingRecords(T0.plusSeconds(30));
        Device online = known("sg-a", DeviceStatus.ONLINE, "{}");

        assertThat(DeviceStateMachine.next(ID, online, List.of(home), T1, java.time.Duration.ofSeconds(45))).isEmpty();

        Change change = DeviceStateMachine.next(ID, online, List.of(home), T1.plusSeconds(15),
                java.time.Duration.ofSeconds(45)).orElseThrow();
        assertThat(change.event()).isEqualTo(EventType.OFFLINE);
        assertThat(change.detail()).contains("record missing");
    }

    @Test
    void aHostWhoseAgentDiedIsUnknownForTheGraceThenOffline() {
        ReplicaView home = withHost("sg-a", "{}", "agent-down");
        home.trackMissingRecords(T1);
        Device online = known("sg-a", DeviceStatus.ONLINE, "{}");
        java.time.Duration grace = java.time.Duration.ofSeconds(60);

        Change unknown = DeviceStateMachine.next(ID, online, List.of(home), T1.plusSeconds(5), java.time.Duration.ZERO, grace)
                .orElseThrow();
        assertThat(unknown.event()).isEqualTo(EventType.UNKNOWN);
        assertThat(unknown.detail()).contains("agent");
        Device wasUnknown = known("sg-a", DeviceStatus.UNKNOWN, "{}");
        assertThat(DeviceStateMachine.next(ID, wasUnknown, List.of(home), T1.plusSeconds(59), java.time.Duration.ZERO, grace))
                .isEmpty();

        Change offline = DeviceStateMachine.next(ID, wasUnknown, List.of(home), T1.plusSeconds(60), java.time.Duration.ZERO, grace)
                .orElseThrow();
        assertThat(offline.event()).isEqualTo(EventType.OFFLINE);
    }

    @Test
    void aHostWhoseAgentDiedIsOnlineAgainOncePassingOnAnotherAgent() {
        ReplicaView home = withHost("sg-a", "{}", "passing"); // replicate's best instance: the passing one
        home.trackMissingRecords(T1);
        assertThat(home.agentDownSince).isEmpty();
        Change back = next(known("sg-a", DeviceStatus.UNKNOWN, "{}"), home).orElseThrow();
        assertThat(back.event()).isEqualTo(EventType.ONLINE);
    }

    @Test
    void anUnknownDeviceWhoseRecordIsBeingRewrittenIsNotOfflineDuringTheGrace() {
        // Back from agent-down on another agent: its new instance passes a moment before its record is back.
        ReplicaView home = view("sg-a");
        home.serviceStatus.put(ID, "passing");
        home.trackMissingRecords(T1);
        Device unknown = known("sg-a", DeviceStatus.UNKNOWN, "{}");
        assertThat(DeviceStateMachine.next(ID, unknown, List.of(home), T1.plusSeconds(1), java.time.Duration.ofSeconds(45)))
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
        home.trackMissingRecords(T0);
        Change change = DeviceStateMachine.next(ID, known("sg-a", DeviceStatus.ONLINE, "{}"), List.of(home), T1,
                java.time.Duration.ofSeconds(45)).orElseThrow();
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
}
