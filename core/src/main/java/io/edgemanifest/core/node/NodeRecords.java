package io.edgemanifest.core.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** JSON encoding of {@link NodeRecord}, with the size limit Consul's KV imposes on us. */
public final class NodeRecords {

    /** Larger records are refused: Consul's KV is for metadata, and replication copies every byte. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private NodeRecords() {
    }

    public static ObjectMapper mapper() {
        return JSON;
    }

    /** Encodes the record; throws {@link IllegalArgumentException} if it exceeds {@link #MAX_BYTES}. */
    public static String toJson(NodeRecord record) {
        String json;
        try {
            json = JSON.writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode node record " + record.id(), e);
        }
        int size = json.getBytes(StandardCharsets.UTF_8).length;
        if (size > MAX_BYTES) {
            throw new IllegalArgumentException("node record of " + record.id() + " is " + size
                    + " bytes, more than the " + MAX_BYTES + "-byte limit: use fewer or shorter labels");
        }
        return json;
    }

    /** Decodes a record; empty for anything that is not one of ours (malformed data is never fatal). */
    public static Optional<NodeRecord> fromJson(String json) {
        if (json == null || json.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(JSON.readValue(json, NodeRecord.class));
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            return Optional.empty();
        }
    }
}
