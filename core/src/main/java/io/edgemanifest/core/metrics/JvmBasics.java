package io.edgemanifest.core.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;

/**
 * The JVM basics every program exports next to its own metrics: heap and non-heap use, GC pauses,
 * threads, CPU and uptime (a restart shows as {@code process_start_time_seconds} moving). Enough
 * to tell a leaking or thrashing process from a slow Consul; nothing per request or per node.
 */
public final class JvmBasics {

    private JvmBasics() {
    }

    public static <R extends MeterRegistry> R bindTo(R registry) {
        new JvmMemoryMetrics().bindTo(registry);
        // Lives as long as the process: its GC notification listener is what records the pauses.
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }
}
