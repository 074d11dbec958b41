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

    /**
     * A component whose stop waits for something (a gateway draining until its hosts moved): a
     * second SIGTERM/SIGINT during that stop asks it to stop waiting and leave at once.
     */
    public interface Hurried {
        void stopWaiting();
    }

    /**
     * Installs the SIGTERM/SIGINT handlers first, then starts the component with {@code start} and
     * runs it until signalled. A signal during start is not lost to the JVM's default handler (exit
     * 143, nothing deregistered): a start that blocks (a Stargate waiting for its Consul) is
     * interrupted, and one that completes is closed at once — the node says goodbye, exit 0.
     */
    public static int startAndRun(String name, java.util.concurrent.Callable<? extends AutoCloseable> start) throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        Thread starter = Thread.currentThread();
        java.util.concurrent.atomic.AtomicBoolean starting = new java.util.concurrent.atomic.AtomicBoolean(true);
        Started started = new Started();
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> {
                if (stop.getCount() == 0) {
                    AutoCloseable component = started.hurry();
                    if (component != null) {
                        hurry(component, name, s);
                    } else {
                        log.info("{}: SIG{} received again while starting: will leave at once", name, s.getName());
                    }
                    return;
                }
                log.info("{}: SIG{} received, stopping", name, s.getName());
                stop.countDown();
                synchronized (starting) {
                    if (starting.get()) {
                        starter.interrupt(); // a start waiting for Consul gives up now
                    }
                }
            });
        }
        AutoCloseable component;
        try {
            component = start.call();
        } catch (Exception e) {
            if (stop.getCount() == 0) {
                log.info("{}: stopped during start ({})", name, e.getMessage());
                return 0;
            }
            throw e;
        } finally {
            synchronized (starting) {
                starting.set(false);
                Thread.interrupted(); // a signal that came as start returned: its interrupt is spent
            }
        }
        if (started.set(component)) {
            // A second signal came while the component was being built: the stop it asked to hurry
            // is this one.
            hurry(component, name, new Signal("TERM"));
        }
        return awaitSignal(component, name, stop);
    }

    /**
     * The component once started, and whether a second signal asked to hurry before it was: that
     * signal must not be lost, or a gateway stopped during its start drains for its full timeout.
     */
    static final class Started {
        private AutoCloseable component;
        private boolean hurryPending;

        /** The component to hurry now, or null: then it is hurried as soon as it is {@link #set}. */
        synchronized AutoCloseable hurry() {
            if (component == null) {
                hurryPending = true;
            }
            return component;
        }

        /** @return whether a hurry is pending for it */
        synchronized boolean set(AutoCloseable started) {
            component = started;
            return hurryPending;
        }
    }

    public static int runUntilSignalled(AutoCloseable component, String name) {
        CountDownLatch stop = new CountDownLatch(1);
        for (String signal : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(signal), s -> {
                if (stop.getCount() == 0) {
                    hurry(component, name, s);
                    return;
                }
                log.info("{}: SIG{} received, stopping", name, s.getName());
                stop.countDown();
            });
        }
        return awaitSignal(component, name, stop);
    }

    /** A signal while already stopping: a component that waits before leaving leaves now. */
    private static void hurry(AutoCloseable component, String name, Signal signal) {
        if (component instanceof Hurried hurried) {
            log.info("{}: SIG{} received again while stopping: leaving at once", name, signal.getName());
            hurried.stopWaiting();
        } else {
            log.info("{}: SIG{} received again: already stopping", name, signal.getName());
        }
    }

    private static int awaitSignal(AutoCloseable component, String name, CountDownLatch stop) {
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
