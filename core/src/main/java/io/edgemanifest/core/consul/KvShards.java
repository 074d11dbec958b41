package io.edgemanifest.core.consul;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.kiwiproject.consul.model.kv.Value;
import org.kiwiproject.consul.util.Jackson;

/**
 * A KV prefix split so that a change costs a read of its own part, not of the whole prefix.
 *
 * <p>Consul 1.8 answers a watched prefix whole, and a recursive list's blocking query wakes for any
 * change under its prefix ({@code state/kvs.go} kvsListTxn: the watch is the radix node of the
 * prefix, the index the highest ModifyIndex of the prefix's entries and tombstones). Host records
 * are {@code <target><uuid>} ({@code manifest/hosts/host-<uuid>}): the first character after the
 * target splits them into {@link #ALPHABET}'s shards — 16 hex ones carry every enrolled host
 * (IDs are {@code host-<uuid>}); the letters g–z carry hand-made IDs ({@code host-rc-1}) and stay idle
 * otherwise. Each shard is its own blocking query: a change under {@code host-3} wakes that one only.
 *
 * <p>Everything else under the prefix ({@code gateways/}, {@code stargates/}, {@code config/}, any
 * operator key) is the <em>rest</em>, read by {@link #readRest}: no single Consul prefix covers it
 * without covering the hosts, so it blocks on a keys-only listing with a separator (an answer of a
 * few names: {@code manifest/config/}, {@code manifest/gateways/}, {@code manifest/hosts/}, ...) and
 * then reads each child that is not on the way to the target. That listing still wakes for every
 * change under the prefix (a host's too) and Consul walks the prefix's keys to answer it, but the
 * bytes it carries do not grow with the hosts. A key under the target whose next character is not in
 * {@link #ALPHABET} (an ID no enrolment issues: upper case, '.', '_', ':') is in no shard and not in
 * the rest: it is not read.
 */
public final class KvShards {

    /** The characters that start a shard after the target: hex for UUIDs, then the other lower-case letters. */
    public static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

    /** Reads {@code /v1/kv/<key>} with {@code index} (0: at once) and extra query parts, e.g. "keys". */
    @FunctionalInterface
    public interface Reader {
        ConsulRead.Answer get(String key, BigInteger index, String... extra);
    }

    /** The rest's entries and the index (and last contact) of the blocking listing that woke it. */
    public record Rest(List<Value> values, BigInteger index, long lastContactMillis) {
    }

    private static final TypeReference<List<Value>> VALUES = new TypeReference<>() { };
    private static final TypeReference<List<String>> KEYS = new TypeReference<>() { };

    private final String prefix;
    private final String target;
    private final List<String> shards;

    private KvShards(String prefix, String target, List<String> shards) {
        this.prefix = prefix;
        this.target = target;
        this.shards = shards;
    }

    /**
     * {@code prefix} split at {@code target} (ending in '/' or '-'): sharded when the target lies
     * under the prefix, else one unsharded prefix ({@link #shardPrefixes()} empty).
     */
    public static KvShards split(String prefix, String target) {
        if (!(target.endsWith("/") || target.endsWith("-"))) {
            throw new IllegalArgumentException("a shard target ends with '/' or '-': " + target);
        }
        if (!target.startsWith(prefix) || target.equals(prefix)) {
            return new KvShards(prefix, target, List.of());
        }
        List<String> shards = new ArrayList<>();
        for (char c : ALPHABET.toCharArray()) {
            shards.add(target + c);
        }
        return new KvShards(prefix, target, List.copyOf(shards));
    }

    public String prefix() {
        return prefix;
    }

    public boolean sharded() {
        return !shards.isEmpty();
    }

    /** The shards' prefixes, each its own blocking query; empty when not sharded. */
    public List<String> shardPrefixes() {
        return shards;
    }

    /** The shard prefix {@code key} falls in, if any. */
    public Optional<String> shardOf(String key) {
        if (!sharded() || !key.startsWith(target) || key.length() == target.length()) {
            return Optional.empty();
        }
        char c = key.charAt(target.length());
        return ALPHABET.indexOf(c) >= 0 ? Optional.of(target + c) : Optional.empty();
    }

    /** Whether {@code key} is the rest's: under the prefix, not under the target. */
    public boolean inRest(String key) {
        return key.startsWith(prefix) && (!sharded() || !key.startsWith(target));
    }

    /**
     * Reads the rest: a blocking keys-only listing of the prefix (one level, up to the next '/' or
     * '-' of the target), then every child not on the way to the target, down to the target.
     * Only the first listing blocks; every read says {@code extra} (consistency, dc) as the reader does.
     */
    public Rest readRest(Reader reader, BigInteger index) {
        Map<String, Value> out = new LinkedHashMap<>();
        String level = prefix;
        BigInteger answerIndex = BigInteger.ZERO;
        long lastContact = 0;
        boolean first = true;
        while (true) {
            String remainder = target.substring(level.length());
            int cut = firstSeparator(remainder);
            char separator = remainder.charAt(cut);
            String onPath = level + remainder.substring(0, cut + 1);
            ConsulRead.Answer listing = reader.get(level, first ? index : BigInteger.ZERO, "keys",
                    "separator=" + ConsulRead.encode(String.valueOf(separator)));
            if (first) {
                answerIndex = listing.index();
                lastContact = listing.lastContactMillis();
                first = false;
            }
            List<String> children = parse(listing.body(), KEYS);
            for (String child : children) {
                if (child.equals(onPath) || !child.startsWith(level)) {
                    continue;
                }
                // A folder child cannot cover the target (it differs from the path before the same
                // separator): read it whole. A key — or the level itself, a "folder" key — alone.
                boolean folder = child.endsWith(String.valueOf(separator)) && !child.equals(level);
                ConsulRead.Answer answer = folder ? reader.get(child, BigInteger.ZERO, "recurse") : reader.get(child, BigInteger.ZERO);
                for (Value value : parse(answer.body(), VALUES)) {
                    if (value.getKey() != null && (folder ? value.getKey().startsWith(child) : value.getKey().equals(child))) {
                        out.put(value.getKey(), value);
                    }
                }
            }
            if (onPath.equals(target) || !children.contains(onPath)) {
                return new Rest(List.copyOf(out.values()), answerIndex, lastContact);
            }
            level = onPath;
        }
    }

    private static int firstSeparator(String remainder) {
        for (int i = 0; i < remainder.length(); i++) {
            if (remainder.charAt(i) == '/' || remainder.charAt(i) == '-') {
                return i;
            }
        }
        throw new IllegalStateException("no separator in " + remainder);
    }

    /** A KV answer's JSON ({@code []} for an empty, 404, body). */
    public static List<Value> values(byte[] body) {
        return parse(body, VALUES);
    }

    private static <T> List<T> parse(byte[] body, TypeReference<List<T>> type) {
        if (body.length == 0) {
            return List.of();
        }
        try {
            List<T> list = Jackson.MAPPER.readValue(body, type);
            return list == null ? List.of() : list;
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable Consul answer", e);
        }
    }
}
