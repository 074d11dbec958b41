package io.edgemanifest.replicate;

import io.edgemanifest.core.consul.ConsulEndpoint;
import io.edgemanifest.core.consul.ConsulRead;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;

/**
 * The reads of one source (directly, or through the destination with {@code ?dc=}), each counted
 * per scope in {@code replicate_source_bytes_total}: what a change costs is bytes read per change.
 */
record SourceReads(ConsulEndpoint reach, Optional<String> viaDc, String datacenter, Duration maxWait, ReplicateMetrics metrics) {

    ConsulRead.Answer get(String scope, String path, BigInteger index, Duration wait, boolean consistent, String... extra) {
        // The read timeout outlasts the wait: Consul adds up to wait/16 of jitter.
        Duration timeout = maxWait.plus(maxWait.dividedBy(16)).plusSeconds(10);
        return ConsulRead.get(reach, path + ConsulRead.query(index, wait, consistent, viaDc, extra), timeout,
                bytes -> metrics.bytesRead(datacenter, scope, bytes));
    }
}
