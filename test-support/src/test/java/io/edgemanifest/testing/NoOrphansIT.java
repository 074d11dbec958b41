package io.edgemanifest.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/** The harness must never leave a consul process behind, even when the JVM that started it dies hard. */
class NoOrphansIT {

    @Test
    void closingTheGroupKillsEveryAgent() {
        List<Long> pids = new ArrayList<>();
        try (ConsulDatacenters group = ConsulDatacenters.start("orphan-a", "orphan-b")) {
            group.all().forEach(a -> pids.add(a.pid()));
            assertThat(pids).allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        }
        assertThat(pids).noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    void consulDiesWhenTheJvmThatStartedItIsKilledHard() throws Exception {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-Dedge.consul.bin=" + ConsulBinary.locate(), StartAndWait.class.getName())
                .redirectErrorStream(true)
                .start();
        try {
            long consulPid = readPid(child);
            assertThat(ProcessHandle.of(consulPid).map(ProcessHandle::isAlive)).contains(true);

            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor(10, TimeUnit.SECONDS);

            await().atMost(Duration.ofSeconds(10)).until(() ->
                    ProcessHandle.of(consulPid).map(h -> !h.isAlive()).orElse(true));
        } finally {
            child.destroyForcibly();
        }
    }

    private static long readPid(Process child) throws IOException {
        var reader = child.inputReader();
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("CONSUL_PID=")) {
                return Long.parseLong(line.substring("CONSUL_PID=".length()).trim());
            }
        }
        throw new IllegalStateException("child JVM ended without starting consul");
    }

    /** Runs in a separate JVM: starts one datacenter, prints consul's pid, waits to be killed. */
    public static final class StartAndWait {
        public static void main(String[] args) throws Exception {
            ConsulAgent agent = ConsulAgent.create("orphan-hard").start();
            System.out.println("CONSUL_PID=" + agent.pid());
            System.out.flush();
            new java.util.concurrent.CountDownLatch(1).await();
        }
    }
}
