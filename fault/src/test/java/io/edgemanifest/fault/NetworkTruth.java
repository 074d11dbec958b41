package io.edgemanifest.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the network says about itself, sampled every {@value #PERIOD_MS} ms from outside while a
 * fault runs: the node records in the source datacenter ({@code manifest/}), in the replica
 * ({@code replica/sg-a/kv/manifest/}) and each device's status in the Explorer's API. From the
 * samples and the Explorer's events it computes what every scenario asserts: no record of a live
 * node lost, no false OFFLINE, a node killed during the fault OFFLINE in time, the recovery time.
 *
 * <p>A sample that got no answer (the datacenter is down) is "unknown", never "missing": only an
 * answer that lacks a key counts against it.
 */
final class NetworkTruth implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NetworkTruth.class);
    private static final long PERIOD_MS = 250;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One look at the network; a null part got no answer. */
    record Sample(Instant at, Set<String> sourceKeys, Set<String> replicaKeys, Map<String, String> statuses) {
    }

    /** One Explorer event. */
    record Event(String device, String type, Instant at, String detail) {
    }

    private final FaultNetwork network;
    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final Thread sampler;
    private volatile boolean running = true;

    NetworkTruth(FaultNetwork network) {
        this.network = network;
        this.sampler = Thread.ofPlatform().daemon().name("network-truth").start(this::run);
    }

    private void run() {
        while (running) {
            try {
                samples.add(sample());
            } catch (RuntimeException e) {
                log.debug("sample failed", e);
            }
            try {
                Thread.sleep(PERIOD_MS); // a fixed sampling rate is the point here, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    Sample sample() {
        Instant at = Instant.now();
        String token = network.source.masterToken();
        Set<String> source = null;
        for (var server : network.source.servers()) {
            if (server.isRunning()) {
                source = network.http.keys(server.httpUrl() + "/v1/kv/manifest/?keys", token);
                if (source != null) {
                    break;
                }
            }
        }
        String replicaPrefix = "replica/" + FaultNetwork.SOURCE + "/kv/";
        Set<String> replica = network.http.keys(network.explorerConsul.httpUrl() + "/v1/kv/" + replicaPrefix + "manifest/?keys", token);
        Map<String, String> statuses = statuses().orElse(null);
        return new Sample(at, source, replica == null ? null : strip(replica, replicaPrefix), statuses);
    }

    private static Set<String> strip(Set<String> keys, String prefix) {
        Set<String> out = new HashSet<>();
        keys.forEach(k -> out.add(k.startsWith(prefix) ? k.substring(prefix.length()) : k));
        return out;
    }

    /** Every device's status in the Explorer now (id → online/offline/unknown), if the Explorer answers. */
    Optional<Map<String, String>> statuses() {
        return network.http.get(network.explorerApi() + "/api/nodes?limit=1000").map(body -> {
            try {
                Map<String, String> out = new HashMap<>();
                for (JsonNode item : JSON.readTree(body).path("items")) {
                    out.put(item.path("id").asText(), item.path("status").asText());
                }
                return out;
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** The Explorer's events of one device, oldest first. */
    List<Event> events(String id) {
        List<Event> out = new ArrayList<>();
        network.http.get(network.explorerApi() + "/api/nodes/" + id + "/events?limit=1000").ifPresent(body -> {
            try {
                for (JsonNode e : JSON.readTree(body).path("items")) {
                    out.add(new Event(id, e.path("type").asText(), instant(e.path("at")), e.path("detail").asText("")));
                }
            } catch (IOException ex) {
                throw new IllegalStateException("the Explorer's events of " + id + " are not JSON", ex);
            }
        });
        out.sort(java.util.Comparator.comparing(Event::at));
        return out;
    }

    private static Instant instant(JsonNode at) {
        if (at.isNumber()) {
            BigDecimal seconds = at.decimalValue();
            return Instant.ofEpochSecond(seconds.longValue(), seconds.remainder(BigDecimal.ONE).movePointRight(9).longValue());
        }
        return Instant.parse(at.asText());
    }

    /** True when every live node's record is in the source and the replica and the Explorer shows it online, now. */
    boolean whole(Collection<String> live) {
        Sample now = sample();
        return missing(now, live).isEmpty();
    }

    /** What is not whole in this sample (empty: everything is). */
    static List<String> missing(Sample s, Collection<String> live) {
        List<String> out = new ArrayList<>();
        for (String id : live) {
            String key = FaultNetwork.keyOf(id);
            if (s.sourceKeys() == null || !s.sourceKeys().contains(key)) {
                out.add(id + ": no record at the source");
            }
            if (s.replicaKeys() == null || !s.replicaKeys().contains(key)) {
                out.add(id + ": no record in the replica");
            }
            if (s.statuses() == null || !"online".equals(s.statuses().get(id))) {
                out.add(id + ": " + (s.statuses() == null ? "Explorer not answering" : s.statuses().get(id)) + " in the Explorer");
            }
        }
        return out;
    }

    /** Starts watching one scenario. */
    Scenario begin(String name) {
        return new Scenario(name, Instant.now());
    }

    /** One scenario's window over the samples and events. */
    final class Scenario {
        final String name;
        final Instant started;
        private Instant faultEnded;

        private Scenario(String name, Instant started) {
            this.name = name;
            this.started = started;
            log.info("scenario '{}' begins", name);
        }

        /** The fault is over (the member is back, the leader elected): recovery is timed from here. */
        void faultEnded() {
            faultEndedAt(Instant.now());
        }

        void faultEndedAt(Instant at) {
            faultEnded = at;
            log.info("scenario '{}': fault ended at {}", name, at);
        }

        /** Waits until the network is whole again and returns the seconds since the fault ended. */
        double awaitWhole(Collection<String> live, Duration timeout) {
            Instant deadline = Instant.now().plus(timeout);
            List<String> last = List.of();
            Instant nextReport = Instant.now().plusSeconds(5);
            while (Instant.now().isBefore(deadline)) {
                Sample s = sample();
                last = missing(s, live);
                if (!last.isEmpty() && s.at().isAfter(nextReport)) {
                    // What keeps the network from being whole, for whoever reads a slow recovery.
                    log.info("scenario '{}': not whole yet: {} missing, e.g. {}", name, last.size(), last.subList(0, Math.min(4, last.size())));
                    nextReport = s.at().plusSeconds(5);
                }
                if (last.isEmpty()) {
                    double seconds = Duration.between(faultEnded == null ? started : faultEnded, s.at()).toMillis() / 1000.0;
                    log.info("scenario '{}': whole again {} s after the fault ended", name, seconds);
                    return seconds;
                }
                FaultNetwork.pause(Duration.ofMillis(100));
            }
            throw new AssertionError("'" + name + "': the network is not whole " + timeout.toSeconds() + " s after the fault: " + last);
        }

        /**
         * For each live node, the longest time its record was missing from an answer of the source
         * or of the replica, since the scenario began (only nodes that missed at least once).
         */
        Map<String, Duration> recordGaps(Collection<String> live) {
            Map<String, Duration> gaps = new LinkedHashMap<>();
            Map<String, String> where = new LinkedHashMap<>();
            for (String id : live) {
                String key = FaultNetwork.keyOf(id);
                Duration longest = Duration.ZERO;
                Instant sourceGap = null;
                Instant replicaGap = null;
                for (Sample s : samples) {
                    if (s.at().isBefore(started)) {
                        continue;
                    }
                    if (s.sourceKeys() != null) {
                        if (!s.sourceKeys().contains(key)) {
                            where.merge(id, "source from " + s.at(), (a, b) -> a.contains("source") ? a : a + ", " + b);
                            sourceGap = sourceGap == null ? s.at() : sourceGap;
                            longest = max(longest, Duration.between(sourceGap, s.at()).plusMillis(PERIOD_MS));
                        } else {
                            sourceGap = null;
                        }
                    }
                    if (s.replicaKeys() != null) {
                        if (!s.replicaKeys().contains(key)) {
                            where.merge(id, "replica from " + s.at(), (a, b) -> a.contains("replica") ? a : a + ", " + b);
                            replicaGap = replicaGap == null ? s.at() : replicaGap;
                            longest = max(longest, Duration.between(replicaGap, s.at()).plusMillis(PERIOD_MS));
                        } else {
                            replicaGap = null;
                        }
                    }
                }
                if (!longest.isZero()) {
                    gaps.put(id, longest);
                }
            }
            if (!gaps.isEmpty()) {
                log.info("scenario '{}': records missing from answers: {} ({})", name, gaps, where);
            }
            return gaps;
        }

        /** Samples taken during the scenario that got an answer from the source and from the replica. */
        long answeredSamples() {
            return samples.stream().filter(s -> !s.at().isBefore(started) && s.sourceKeys() != null && s.replicaKeys() != null).count();
        }

        /** OFFLINE events of live nodes since the scenario began: each is false. */
        List<Event> falseOffline(Collection<String> live) {
            return since(live, "OFFLINE");
        }

        /** Events of this type for these nodes since the scenario began. */
        List<Event> since(Collection<String> ids, String type) {
            List<Event> out = new ArrayList<>();
            for (String id : ids) {
                events(id).stream().filter(e -> e.type().equals(type) && !e.at().isBefore(started)).forEach(out::add);
            }
            return out;
        }

        /**
         * Waits until the Explorer shows {@code id} offline and returns the seconds from
         * {@code killed} to the OFFLINE event's own timestamp (not to when we looked).
         */
        double awaitOffline(String id, Instant killed, Duration timeout) {
            Instant deadline = Instant.now().plus(timeout);
            while (Instant.now().isBefore(deadline)) {
                Optional<Event> offline = events(id).stream().filter(e -> e.type().equals("OFFLINE") && e.at().isAfter(killed)).findFirst();
                if (offline.isPresent()) {
                    return Duration.between(killed, offline.get().at()).toMillis() / 1000.0;
                }
                FaultNetwork.pause(Duration.ofMillis(100));
            }
            throw new AssertionError("'" + name + "': " + id + " killed at " + killed + " not OFFLINE in the Explorer after "
                    + timeout.toSeconds() + " s; events " + events(id));
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
