package io.edgemanifest.explorer.ha;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.consul.ConsulEndpoint;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.kiwiproject.consul.Consul;
import org.kiwiproject.consul.model.kv.Value;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a standby Explorer shows on {@code /api/datacenters}: it runs no ingest (no watches), so it
 * reads replicate's status documents when asked, at most once per {@link #MAX_AGE}. "reachable" is
 * replicate's own verdict; the holder's stricter one (no beat for --replicate-silence) is not known here.
 */
public final class StandbyStatus implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StandbyStatus.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration MAX_AGE = Duration.ofSeconds(2);
    private static final String PREFIX = "replicate/status/";

    private final Consul consul;
    private Map<String, Object> last = Map.of();
    private long readAt;

    public StandbyStatus(ConsulEndpoint endpoint) {
        this.consul = endpoint.client(Duration.ofSeconds(5));
    }

    /** Datacenter -> replicate's status document plus {@code reachable}. */
    public synchronized Map<String, Object> datacenters() {
        if (readAt != 0 && System.nanoTime() - readAt < MAX_AGE.toNanos()) {
            return last;
        }
        Map<String, Object> result = new TreeMap<>();
        try {
            for (Value value : consul.keyValueClient().getValues(PREFIX)) {
                String dc = value.getKey().substring(PREFIX.length());
                if (dc.isEmpty() || dc.contains("/")) {
                    continue;
                }
                Map<String, Object> entry = new LinkedHashMap<>();
                value.getValueAsString().ifPresent(json -> {
                    try {
                        entry.putAll(JSON.readValue(json, new TypeReference<Map<String, Object>>() { }));
                    } catch (Exception e) {
                        log.debug("replicate status of {} is not JSON", dc);
                    }
                });
                entry.put("reachable", !"unreachable".equals(entry.get("state")));
                result.put(dc, entry);
            }
        } catch (RuntimeException e) {
            log.debug("standby: reading replicate's status failed: {}", e.toString());
            return last; // what we knew, rather than an empty network
        }
        last = java.util.Collections.unmodifiableMap(result);
        readAt = System.nanoTime();
        return last;
    }

    @Override
    public void close() {
        consul.destroy();
    }
}
