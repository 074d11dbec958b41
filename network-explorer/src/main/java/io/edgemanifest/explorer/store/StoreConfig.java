package io.edgemanifest.explorer.store;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where the store lives and the availability targets per kind.
 *
 * @param jdbcUrl {@code jdbc:h2:file:...} (the default) or {@code jdbc:postgresql://...}
 */
public record StoreConfig(String jdbcUrl, String user, String password, Map<String, Double> targets) {

    public static final Map<String, Double> DEFAULT_TARGETS = Map.of("host", 0.40, "gateway", 0.99, "stargate", 0.9999);

    public StoreConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (!jdbcUrl.startsWith("jdbc:h2:") && !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("invalid --db '" + jdbcUrl + "' (jdbc:h2:... or jdbc:postgresql://...)");
        }
        targets = Map.copyOf(targets == null ? DEFAULT_TARGETS : targets);
        targets.forEach((kind, t) -> {
            if (t < 0 || t > 1) {
                throw new IllegalArgumentException("target of " + kind + " must be within 0..1: " + t);
            }
        });
    }

    /**
     * An H2 file database at {@code file} (".mv.db" is added by H2). {@code WRITE_DELAY=0}: H2
     * otherwise writes commits up to 500 ms later, and a killed Explorer (-9) lost the batches it
     * had just committed (measured in ExplorerFaultIT); now a commit is in the file when it returns.
     */
    public static StoreConfig h2(Path file) {
        return new StoreConfig("jdbc:h2:file:" + file.toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH;WRITE_DELAY=0", "sa", "", DEFAULT_TARGETS);
    }

    public boolean isH2() {
        return jdbcUrl.startsWith("jdbc:h2:");
    }
}
