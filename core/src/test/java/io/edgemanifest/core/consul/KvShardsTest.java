package io.edgemanifest.core.consul;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.kiwiproject.consul.model.kv.Value;

class KvShardsTest {

    private static final KvShards MANIFEST = KvShards.split("manifest/", "manifest/hosts/host-");

    @Test
    void hostRecordsFallInTheShardOfTheirIdsFirstCharacterAndEverythingElseInTheRest() {
        assertThat(MANIFEST.shardPrefixes()).hasSize(36).startsWith("manifest/hosts/host-0", "manifest/hosts/host-1")
                .endsWith("manifest/hosts/host-z");
        assertThat(MANIFEST.shardOf("manifest/hosts/host-3f2a9c1b-0000-4000-8000-000000000000")).contains("manifest/hosts/host-3");
        assertThat(MANIFEST.shardOf("manifest/hosts/host-rc-1")).contains("manifest/hosts/host-r");
        assertThat(MANIFEST.shardOf("manifest/gateways/gateway-1")).isEmpty();
        assertThat(MANIFEST.inRest("manifest/gateways/gateway-1")).isTrue();
        assertThat(MANIFEST.inRest("manifest/hosts/odd")).isTrue();
        assertThat(MANIFEST.inRest("manifest/hosts/host-3abc")).isFalse();
        assertThat(MANIFEST.inRest("other/key")).isFalse();
        // An ID no enrolment issues (upper case) is in no shard and not in the rest.
        assertThat(MANIFEST.shardOf("manifest/hosts/host-X1")).isEmpty();
        assertThat(MANIFEST.inRest("manifest/hosts/host-X1")).isFalse();
    }

    @Test
    void aPrefixThatDoesNotHoldTheHostRecordsIsNotSharded() {
        KvShards config = KvShards.split("manifest/config/", "manifest/hosts/host-");
        assertThat(config.sharded()).isFalse();
        assertThat(config.shardPrefixes()).isEmpty();
        assertThat(config.inRest("manifest/config/motd")).isTrue();
    }

    /** A KV store answering like Consul: recursive reads, single keys, and keys listings with a separator. */
    private static final class FakeKv implements KvShards.Reader {
        final TreeMap<String, String> kv = new TreeMap<>();
        final List<String> reads = new ArrayList<>();

        @Override
        public ConsulRead.Answer get(String key, BigInteger index, String... extra) {
            List<String> options = List.of(extra);
            reads.add(key + " " + String.join("&", options));
            List<String> under = kv.keySet().stream().filter(k -> k.startsWith(key)).toList();
            String json;
            if (options.contains("keys")) {
                String separator = options.stream().filter(o -> o.startsWith("separator=")).findFirst().orElseThrow()
                        .substring("separator=".length());
                json = under.stream().map(k -> {
                    int at = k.indexOf(separator, key.length());
                    return at < 0 ? k : k.substring(0, at + separator.length());
                }).distinct().map(k -> "\"" + k + "\"").collect(Collectors.joining(",", "[", "]"));
            } else {
                List<String> keys = options.contains("recurse") ? under : under.stream().filter(key::equals).toList();
                json = keys.stream().map(k -> "{\"Key\":\"" + k + "\",\"Flags\":0,\"Value\":\""
                        + Base64.getEncoder().encodeToString(kv.get(k).getBytes(StandardCharsets.UTF_8))
                        + "\",\"LockIndex\":0,\"CreateIndex\":1,\"ModifyIndex\":1}").collect(Collectors.joining(",", "[", "]"));
            }
            return new ConsulRead.Answer(json.getBytes(StandardCharsets.UTF_8), BigInteger.valueOf(7), 0);
        }
    }

    @Test
    void theRestReadsEverythingButTheHostRecordsWithoutReadingAnyHostRecord() {
        FakeKv kv = new FakeKv();
        for (String key : List.of("manifest/hosts/host-3f2a", "manifest/hosts/host-rc-1", "manifest/hosts/odd",
                "manifest/hosts/ghost-1", "manifest/gateways/gateway-1", "manifest/gateways/gateway-2",
                "manifest/config/motd", "manifest/big", "manifest/h", "manifest/", "other/thing")) {
            kv.kv.put(key, "v");
        }
        KvShards.Rest rest = MANIFEST.readRest(kv, BigInteger.ONE);

        assertThat(rest.values().stream().map(Value::getKey)).containsExactlyInAnyOrder("manifest/hosts/odd",
                "manifest/hosts/ghost-1", "manifest/gateways/gateway-1", "manifest/gateways/gateway-2",
                "manifest/config/motd", "manifest/big", "manifest/h", "manifest/");
        assertThat(rest.index()).isEqualTo(BigInteger.valueOf(7));
        // Listings of names and reads of the rest's own children: never a recursive read covering the hosts.
        assertThat(kv.reads).contains("manifest/ keys&separator=/", "manifest/hosts/ keys&separator=-")
                .noneMatch(read -> read.startsWith("manifest/hosts/host-") || read.equals("manifest/ recurse")
                        || read.equals("manifest/h recurse") || read.equals("manifest/hosts/ recurse"));
    }
}
