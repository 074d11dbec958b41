package io.edgemanifest.explorer.fault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.edgemanifest.core.acl.AclPolicies;
import io.edgemanifest.testing.ConsulAgent;
import io.edgemanifest.testing.FreePorts;
import io.edgemanifest.testing.RunnableJar;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the Explorer fault scenarios share: the Explorer's Consul with ACLs, the replica written
 * directly with the management token (the Explorer is under test here, not replicate: this stands
 * in for it, writing exactly its layout), and network-explorer processes run from the jar with the
 * explorer role's token.
 */
final class ExplorerProcesses implements AutoCloseable {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    static final ObjectMapper JSON = new ObjectMapper();

    private final ConsulAgent consul;
    private final Path dir;
    private final Path tokenFile;
    private final List<Process> processes = new ArrayList<>();

    ExplorerProcesses(ConsulAgent consul, Path dir) {
        this.consul = consul;
        this.dir = dir;
        try {
            for (AclPolicies.PolicySpec policy : AclPolicies.roles(consul.datacenter())) {
                consul.createPolicy(policy.name(), policy.rules(), policy.datacenters());
            }
            tokenFile = Files.writeString(dir.resolve("explorer.token"),
                    consul.createToken(AclPolicies.policyNames(AclPolicies.Role.EXPLORER)) + "\n");
            Files.setPosixFilePermissions(tokenFile, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String hostId(int i) {
        return String.format("host-%08d-0000-4000-8000-%012d", i, i);
    }

    static String record(String id) {
        return "{\"schema\":1,\"id\":\"" + id + "\",\"kind\":\"host\",\"version\":\"1.0\",\"labels\":{\"fixture\":\"yes\"}}";
    }

    // ------------------------------------------------------------------ the replica

    /** Empties the replica and replicate's status (between scenarios). */
    void clearReplica() {
        request("DELETE", "/v1/kv/replica/?recurse=true", null);
        request("DELETE", "/v1/kv/replicate/status/?recurse=true", null);
    }

    /** replicate's status for {@code dc}: state ok (no beat field: an older replicate, never stale). */
    void statusOk(String dc) {
        putRaw("replicate/status/" + dc, ("{\"state\":\"ok\",\"lastSyncAt\":\"" + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    /** Hosts {@code from}..{@code to-1} present in {@code dc} with a record and a passing service. */
    void hosts(String dc, int from, int to) {
        Map<String, byte[]> kv = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            String id = hostId(i);
            kv.put("replica/" + dc + "/kv/manifest/hosts/" + id, record(id).getBytes(StandardCharsets.UTF_8));
            kv.put("replica/" + dc + "/services/" + id, service(id, dc, "passing"));
        }
        txn(kv);
    }

    /** Sets the aggregated service status of hosts {@code from}..{@code to-1} (critical: they are down). */
    void serviceStatus(String dc, int from, int to, String status) {
        Map<String, byte[]> kv = new LinkedHashMap<>();
        for (int i = from; i < to; i++) {
            kv.put("replica/" + dc + "/services/" + hostId(i), service(hostId(i), dc, status));
        }
        txn(kv);
    }

    static byte[] service(String id, String dc, String status) {
        return ("{\"service\":\"" + id + "\",\"id\":\"" + id + "\",\"datacenter\":\"" + dc + "\",\"tags\":[\"host\"],"
                + "\"status\":\"" + status + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** Writes keys in transactions of 64 operations (Consul's limit), values byte for byte. */
    void txn(Map<String, byte[]> kv) {
        List<Map.Entry<String, byte[]>> entries = new ArrayList<>(kv.entrySet());
        for (int from = 0; from < entries.size(); from += 64) {
            StringBuilder body = new StringBuilder("[");
            for (int i = from; i < Math.min(entries.size(), from + 64); i++) {
                if (i > from) {
                    body.append(',');
                }
                body.append("{\"KV\":{\"Verb\":\"set\",\"Key\":").append(quote(entries.get(i).getKey())).append(",\"Value\":\"")
                        .append(Base64.getEncoder().encodeToString(entries.get(i).getValue())).append("\"}}");
            }
            request("PUT", "/v1/txn", body.append(']').toString());
        }
    }

    /** One key, its value byte for byte (e.g. not UTF-8), the key path-encoded segment by segment. */
    void putRaw(String key, byte[] value) {
        String path = String.join("/", java.util.Arrays.stream(key.split("/", -1))
                .map(s -> URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20")).toList());
        send(HttpRequest.newBuilder(URI.create(consul.httpUrl() + "/v1/kv/" + path)).PUT(HttpRequest.BodyPublishers.ofByteArray(value)));
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void request(String method, String path, String body) {
        send(HttpRequest.newBuilder(URI.create(consul.httpUrl() + path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
    }

    private void send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(request.header("X-Consul-Token", consul.masterToken())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("Consul answered " + response.statusCode() + ": " + response.body());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ Explorer processes

    /** A running network-explorer process and where it answers. */
    record Explorer(Process process, int port, Path log) {

        /** The API's JSON answer, or null while it does not answer 200. */
        JsonNode api(String path) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
            } catch (IOException e) {
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }

        /** HTTP status of {@code path}, or -1 when nothing answers. */
        int status(String path) {
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(12)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        long summary(String field) {
            JsonNode s = api("/api/summary");
            return s == null ? -1 : s.path(field).asLong(-1);
        }

        /**
         * Devices with this status, -1 while the API does not answer. From {@code /api/nodes/counts},
         * which counts exactly: the list's {@code total} stops at 10,000 since #15, and these
         * scenarios grow past that when they repeat with more devices.
         */
        long count(String status) {
            JsonNode s = api("/api/nodes/counts");
            return s == null ? -1 : s.path(status).asLong(-1);
        }

        String logText() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "";
            }
        }
    }

    /** Starts network-explorer on the store at {@code jdbcUrl} (user and password as given). */
    Explorer start(String name, String jdbcUrl, String user, String password) {
        int port = FreePorts.next();
        Path log = Path.of("target", "fault-logs", name + "-" + Instant.now().toEpochMilli() + ".log");
        List<String> args = new ArrayList<>(List.of("--consul", consul.httpUrl(), "--token-file", tokenFile.toString(),
                "--port", Integer.toString(port), "--data-dir", dir.resolve("data").toString(), "--db", jdbcUrl));
        if (user != null) {
            args.add("--db-user=" + user);
        }
        if (password != null) {
            args.add("--db-password=" + password);
        }
        Process p = RunnableJar.of("network-explorer").start(log,
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx256m"), args.toArray(String[]::new));
        processes.add(p);
        return new Explorer(p, port, log);
    }

    @Override
    public void close() {
        processes.forEach(p -> {
            p.destroyForcibly();
            try {
                p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }
}
