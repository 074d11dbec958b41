package io.edgemanifest.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.edgemanifest.testing.ConsulCluster;
import io.edgemanifest.testing.fault.FaultOutcome;
import io.edgemanifest.testing.fault.FaultReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consul-level faults on a production-shaped network ({@link FaultNetwork}: a Stargate datacenter
 * of 3 Raft servers and 2 client agents, the Explorer's datacenter, every node a real process).
 * One network for the class; the scenarios run in order, each from a whole network (every live
 * node's record at the source and in the replica, every live node online in the Explorer), each
 * with the same assertions ({@link NetworkTruth}):
 * <ul>
 *   <li>no false OFFLINE: no OFFLINE event in the Explorer for a node that stayed alive;</li>
 *   <li>no record lost: every live node's record at the source and in the replica at the end
 *       (and, where the fault does not touch sessions, in every answer throughout);</li>
 *   <li>a node killed during the fault (a single host, -9) is OFFLINE in the Explorer within
 *       TTL + 3 s, plus the time the fault keeps the datacenter from writing (see {@link #deadline});</li>
 *   <li>the recovery time: fault over → everything whole again.</li>
 * </ul>
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsulFaultIT {

    private static final Logger log = LoggerFactory.getLogger(ConsulFaultIT.class);
    private static final String SUITE = "ConsulFaultIT";
    private static final Duration WHOLE = Duration.ofSeconds(90);
    /** replicate's --resync-hold (its default, which FaultNetwork keeps). */
    private static final Duration RESYNC_HOLD = Duration.ofSeconds(130);
    /** replicate's --wait in FaultNetwork: a round of its reads of the source takes up to that. */
    private static final Duration REPLICATE_WAIT = Duration.ofSeconds(5);

    private static FaultNetwork network;
    private static NetworkTruth truth;

    @BeforeAll
    static void startNetwork() {
        network = FaultNetwork.start();
        truth = new NetworkTruth(network);
        NetworkTruth.Scenario setup = truth.begin("setup");
        double seconds = setup.awaitWhole(network.liveNodes(), Duration.ofSeconds(120));
        log.info("network whole {} s after the start of its nodes", seconds);
    }

    @AfterAll
    static void stopNetwork() {
        if (truth != null) {
            truth.close();
        }
        if (network != null) {
            network.close();
        }
    }

    /**
     * When a node killed during a fault must be OFFLINE, counted from the kill: 3 s (the project's
     * detection budget: catalog → replicate → Explorer) after the later of its TTL running out and
     * {@code blocked}, the time the fault kept the datacenter from committing or serving the
     * critical check (no Raft leader: the agent's sync and replicate's reads wait for one). Nothing
     * more: whatever the network needs beyond that to trust the datacenter again is measured, not allowed,
     * except {@code extra} where a scenario says why.
     */
    private static Duration deadline(Duration blocked, Duration extra) {
        Duration ttl = FaultNetwork.TTL;
        return (blocked.compareTo(ttl) > 0 ? blocked : ttl).plusSeconds(3).plus(extra);
    }

    /** A scenario starts from a whole network with a victim host present. */
    private static Run begin(String fault) {
        NetworkTruth.Scenario check = truth.begin("before: " + fault);
        check.awaitWhole(network.liveNodes(), WHOLE);
        FaultNetwork.Victim victim = network.startVictim();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
                truth.statuses().map(s -> "online".equals(s.get(victim.id()))).orElse(false));
        return new Run(truth.begin(fault), victim);
    }

    private record Run(NetworkTruth.Scenario scenario, FaultNetwork.Victim victim) {
    }

    /** The common assertions after the fault ended; returns the row for the reliability table. */
    private static FaultOutcome finish(Run run, String fault, String mustHold, Instant victimKilled, Duration blocked,
                                       boolean recordsKeptThroughout, String more) {
        return finish(run, fault, mustHold, victimKilled, blocked, Duration.ZERO, recordsKeptThroughout, more);
    }

    private static FaultOutcome finish(Run run, String fault, String mustHold, Instant victimKilled, Duration blocked,
                                       Duration extra, boolean recordsKeptThroughout, String more) {
        NetworkTruth.Scenario s = run.scenario();
        List<String> live = network.liveNodes();
        double recovery = s.awaitWhole(live, WHOLE);
        Duration allowed = deadline(blocked, extra);
        double offlineAfter = s.awaitOffline(run.victim().id(), victimKilled, allowed.plusSeconds(40));
        List<NetworkTruth.Event> falseOffline = s.falseOffline(live);
        int unknown = s.since(live, "UNKNOWN").size();
        Map<String, Duration> gaps = s.recordGaps(live);
        Duration longestGap = gaps.values().stream().max(Duration::compareTo).orElse(Duration.ZERO);
        String detail = String.format(Locale.ROOT, "killed host OFFLINE after %.1f s (allowed %.1f s); UNKNOWN events %d; "
                        + "records missing from an answer: %d nodes, longest %.1f s; %d samples%s",
                offlineAfter, allowed.toMillis() / 1000.0, unknown, gaps.size(), longestGap.toMillis() / 1000.0,
                s.answeredSamples(), more.isEmpty() ? "" : "; " + more);
        log.info("scenario '{}': recovery {} s; {}; false OFFLINE {}", fault, recovery, detail, falseOffline);

        assertThat(falseOffline).as("OFFLINE events of nodes that stayed alive during '%s'", fault).isEmpty();
        assertThat(offlineAfter).as("seconds until the host killed during '%s' was OFFLINE", fault)
                .isLessThanOrEqualTo(allowed.toMillis() / 1000.0);
        if (recordsKeptThroughout) {
            assertThat(gaps).as("live nodes whose record went missing during '%s'", fault).isEmpty();
        }
        FaultOutcome outcome = new FaultOutcome(SUITE, fault, mustHold, recovery, falseOffline.size(), detail);
        FaultReport.record(outcome);
        return outcome;
    }

    private static final String KEPT = "no record lost at any time, no false OFFLINE, killed host OFFLINE in time";
    private static final String BACK = "records back at the end, no false OFFLINE, killed host OFFLINE in time";

    @Test
    @Order(1)
    void theLeaderKilledTwiceInARowIsReElectedAndNothingIsLost() {
        String fault = "Stargate datacenter's Raft leader killed (-9) and re-elected, twice in a row";
        Run run = begin(fault);
        ConsulCluster cluster = network.source;
        List<Long> elections = new ArrayList<>();
        Instant victimKilled = null;
        Instant firstKill = null;
        for (int round = 0; round < 2; round++) {
            ConsulCluster.Member leader = cluster.leader();
            long t0 = System.nanoTime();
            cluster.kill(leader);
            if (victimKilled == null) {
                firstKill = Instant.now();
                run.victim().kill();
                victimKilled = Instant.now();
            }
            cluster.awaitNewLeader(leader);
            elections.add((System.nanoTime() - t0) / 1_000_000);
            cluster.start(leader); // back with its data, as a follower: quorum for the next round
        }
        run.scenario().faultEnded();
        // Blocked: from the first kill until the second killed leader is back (two elections and a restart).
        finish(run, fault, KEPT, victimKilled, Duration.between(firstKill, Instant.now()), true, "elections " + elections + " ms");
    }

    @Test
    @Order(2)
    void aFollowerRestartedWithItsDataChangesNothing() {
        String fault = "a Stargate datacenter's follower server restarted with its data";
        Run run = begin(fault);
        ConsulCluster cluster = network.source;
        ConsulCluster.Member leader = cluster.leader();
        ConsulCluster.Member follower = cluster.servers().stream().filter(m -> m != leader).findFirst().orElseThrow();
        cluster.stop(follower);
        run.victim().kill();
        Instant victimKilled = Instant.now();
        cluster.start(follower);
        run.scenario().faultEnded();
        finish(run, fault, KEPT, victimKilled, Duration.ZERO, true, "");
    }

    /**
     * The hosts the client agent carries now: their check on it is passing (an agent restarted
     * with its data still lists the services of hosts that left it, critical, until Consul reaps them).
     */
    private static Set<String> hostsOn(ConsulCluster.Member agent) {
        Set<String> ids = new HashSet<>();
        String checks = agent.get("/v1/agent/checks?filter=" + java.net.URLEncoder.encode("Status == \"passing\"",
                java.nio.charset.StandardCharsets.UTF_8)).orElse("{}");
        for (String id : network.hostIds()) {
            if (checks.contains("\"service:" + id + "\"")) {
                ids.add(id);
            }
        }
        return ids;
    }

    @Test
    @Order(3)
    void aClientAgentKilledAndRestartedLosesNoHost() {
        String fault = "a client agent carrying hosts killed (-9), its hosts moved to the other agent, then restarted";
        Run run = begin(fault);
        ConsulCluster cluster = network.source;
        ConsulCluster.Member agent = network.hostAgents().get(1);
        ConsulCluster.Member other = network.hostAgents().get(0);
        Set<String> carried = hostsOn(agent);
        assertThat(carried).as("hosts on client agent 2 (rendezvous spread of %d)", FaultNetwork.HOSTS).isNotEmpty();
        cluster.kill(agent);
        run.victim().kill();
        Instant victimKilled = Instant.now();
        Instant killed = Instant.now();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> hostsOn(other).containsAll(carried));
        double moved = Duration.between(killed, Instant.now()).toMillis() / 1000.0;
        cluster.start(agent);
        run.scenario().faultEnded();
        finish(run, fault, BACK, victimKilled, Duration.ZERO, false,
                String.format(Locale.ROOT, "%d hosts on it, all on the other agent after %.1f s (--migrate-after %d s)",
                        carried.size(), moved, FaultNetwork.MIGRATE_AFTER.toSeconds()));
    }

    @Test
    @Order(4)
    void aClientAgentFrozenBeyondTheTtlLosesNoHost() {
        String fault = "a client agent carrying hosts frozen (SIGSTOP) beyond the TTL until its hosts moved, then thawed";
        Run run = begin(fault);
        ConsulCluster cluster = network.source;
        // Hosts do not move back to a returning agent: after the kill scenario client 1 carries them all.
        ConsulCluster.Member agent = network.hostAgents().get(0);
        ConsulCluster.Member other = network.hostAgents().get(1);
        Set<String> carried = hostsOn(agent);
        assertThat(carried).as("hosts on client agent 1").isNotEmpty();
        Instant frozen = Instant.now();
        cluster.freeze(agent);
        double moved;
        Instant victimKilled;
        try {
            run.victim().kill();
            victimKilled = Instant.now();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> hostsOn(other).containsAll(carried));
            moved = Duration.between(frozen, Instant.now()).toMillis() / 1000.0;
        } finally {
            cluster.thaw(agent);
        }
        run.scenario().faultEnded();
        finish(run, fault, BACK, victimKilled, Duration.ZERO, false,
                String.format(Locale.ROOT, "%d hosts on it, frozen %.1f s (TTL %d s)", carried.size(), moved, FaultNetwork.TTL.toSeconds()));
    }

    @Test
    @Order(5)
    void theExplorersConsulRestartedEmptyRebuildsTheReplicaWithoutAnOfflineStorm() {
        String fault = "the Explorer's Consul restarted empty (replica, replicate's locks and status lost; ACLs restored)";
        Run run = begin(fault);
        network.restartExplorerConsulEmpty();
        run.victim().kill();
        Instant victimKilled = Instant.now();
        run.scenario().faultEnded();
        finish(run, fault, BACK, victimKilled, Duration.ZERO, false, "");
    }

    @Test
    @Order(6)
    void aSourceDatacenterRestartedEmptyComesBackByItself() {
        String fault = "the Stargate datacenter's servers all restarted empty (catalog, sessions, KV lost)";
        Run run = begin(fault);
        Instant t0 = Instant.now();
        network.source.servers().forEach(network.source::kill);
        run.victim().kill();
        Instant victimKilled = Instant.now();
        Instant leader = network.source.restartServersEmpty();
        // The fault ends when the datacenter has a leader again: from then on it answers, empty.
        run.scenario().faultEndedAt(leader);
        double down = Duration.between(t0, leader).toMillis() / 1000.0;
        // Allowed on top: replicate's --resync-hold (130 s) and one round of its reads. With every
        // server's state gone, the killed host and the live hosts of its agent are alike -- both simply
        // absent -- until the agent re-syncs (14-35 s after the wipe when it sees the servers rejoin, else at its
        // next full anti-entropy sync: 60-120 s after the previous one; 77 s was seen). Consul 1.8 gives no
        // signal that an agent has finished re-syncing, so replicate holds each missing service for the
        // hold rather than report a false OFFLINE for a live host (docs/reliability.md).
        finish(run, fault, BACK + " (stargate and gateway included)", victimKilled,
                Duration.between(t0, leader), RESYNC_HOLD.plus(REPLICATE_WAIT), false,
                String.format(Locale.ROOT, "servers back with a leader after %.1f s, every agent back after %.1f s", down,
                        Duration.between(t0, Instant.now()).toMillis() / 1000.0));
    }
}
