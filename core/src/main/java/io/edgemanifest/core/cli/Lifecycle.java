package io.edgemanifest.core.cli;

import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs a started component until SIGTERM or SIGINT, then closes it and returns exit code 0. A
 * plain JVM exits with 143 on SIGTERM and leaves ordering to shutdown hooks; operators and
 * supervisors expect a node that was asked to stop to say goodbye (NOT_SERVING, destroy session,
 * deregister) and exit 0.
 */
public final class Lifecycle {

    private static final Logger log = LoggerFactory.getLogger(Lifecycle.class);

    private Lifecycle() {
    }

    public static int runUntilSignalled(AutoCloseable component, String name) {
        CountDownLatch stop = new CountDownLatch(1);
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> {
                log.info("{}: SIG{} received, stopping", name, s.getName());
                stop.countDown();
            });
        }
        // Backstop for exits we do not control (System.exit elsewhere): still say goodbye.
        Thread hook = new Thread(() -> closeQuietly(component, name), name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(component, name);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        return 0;
    }

    private static void closeQuietly(AutoCloseable component, String name) {
        try {
            component.close();
        } catch (Exception e) {
            log.warn("{}: error while stopping", name, e);
        }
    }
}
