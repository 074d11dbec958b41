package io.edgemanifest.core.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A node's ID, {@code <kind>-<uuid>}: generated once by the node itself and kept in its state dir,
 * so it is globally unique without any central authority and survives restarts.
 */
public final class NodeIdentity {

    static final String FILE = "node-id";
    private static final Pattern UUID_PART =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private NodeIdentity() {
    }

    /**
     * Loads the ID from {@code stateDir}, or creates, stores (atomically) and returns a new one.
     *
     * @throws IllegalArgumentException when the state dir cannot be used or holds an ID of another kind
     */
    public static String loadOrCreate(Path stateDir, NodeKind kind) {
        Path file = stateDir.resolve(FILE);
        try {
            Files.createDirectories(stateDir);
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).strip();
                if (!isValid(id, kind)) {
                    throw new IllegalArgumentException("state dir " + stateDir + " holds '" + id
                            + "', not a " + kind.serviceName() + " ID: use another --state-dir");
                }
                return id;
            }
            String id = kind.serviceName() + "-" + UUID.randomUUID();
            // Write-then-rename so a crash never leaves a half-written ID that would change identity.
            Path tmp = Files.createTempFile(stateDir, FILE, ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return id;
        } catch (IOException e) {
            throw new IllegalArgumentException("state dir " + stateDir + " is not usable: " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("state dir " + stateDir + " is not usable: " + e.getCause().getMessage());
        }
    }

    public static boolean isValid(String id, NodeKind kind) {
        String prefix = kind.serviceName() + "-";
        return id != null && id.startsWith(prefix) && UUID_PART.matcher(id.substring(prefix.length())).matches();
    }
}
