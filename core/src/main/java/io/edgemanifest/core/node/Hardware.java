package io.edgemanifest.core.node;

/** What a node runs on, detected at start. */
public record Hardware(int cpus, long memoryBytes, String arch, String os) {

    public static Hardware detect() {
        long memory = Runtime.getRuntime().maxMemory();
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        return new Hardware(Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("os.arch"), System.getProperty("os.name") + " " + System.getProperty("os.version"));
    }
}
