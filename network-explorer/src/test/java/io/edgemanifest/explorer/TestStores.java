package io.edgemanifest.explorer;

import io.edgemanifest.explorer.store.DeviceStore;
import io.edgemanifest.explorer.store.JdbcDeviceStore;
import io.edgemanifest.explorer.store.StoreConfig;
import java.nio.file.Path;

/** Real stores for tests: an H2 file. */
public final class TestStores {

    private TestStores() {
    }

    public static DeviceStore h2(Path file) {
        return JdbcDeviceStore.open(StoreConfig.h2(file));
    }
}
