package io.edgemanifest.explorer.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a real H2 file. */
class H2DeviceStoreTest extends DeviceStoreContract {

    @TempDir
    Path dir;

    private final List<DeviceStore> opened = new ArrayList<>();

    @Override
    DeviceStore store() {
        DeviceStore store = JdbcDeviceStore.open(StoreConfig.h2(dir.resolve("store-" + opened.size())));
        opened.add(store);
        return store;
    }

    @AfterEach
    void close() {
        opened.forEach(DeviceStore::close);
    }

    @Test
    void reopeningTheSameFileKeepsEverythingAndMigratesNothingTwice() {
        Path file = dir.resolve("same");
        try (DeviceStore first = JdbcDeviceStore.open(StoreConfig.h2(file))) {
            first.apply(List.of(change("host-1", DeviceStatus.ONLINE, EventType.ONLINE, T0)));
        }
        try (DeviceStore again = JdbcDeviceStore.open(StoreConfig.h2(file))) {
            assertThat(again.find("host-1")).isPresent();
            assertThat(again.eventCount()).isEqualTo(1);
            assertThat(again.eventsRecorded()).as("counted per store object, not read from the table").isZero();
        }
    }

    @Test
    void anUnusableStoreIsAClearError() {
        assertThatThrownBy(() -> JdbcDeviceStore.open(new StoreConfig("jdbc:postgresql://127.0.0.1:1/none", "u", "p", null)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unavailable");
        assertThatThrownBy(() -> new StoreConfig("mysql://x", null, null, null)).hasMessageContaining("mysql://x");
    }
}
