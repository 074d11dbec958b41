package io.edgemanifest.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time and memory of a process, read from Linux's {@code /proc}: the same numbers {@code top}
 * shows, for any process (a JVM, Consul), without an agent inside it.
 */
final class ProcessStats {

    /** Clock ticks per second of {@code /proc/<pid>/stat} times; 100 on every Linux we run on. */
    static final long CLOCK_TICKS = clockTicks();

    private ProcessStats() {
    }

    /** One reading: CPU seconds used so far (user + system), resident and peak-resident memory. */
    record Sample(long pid, long nanoTime, double cpuSeconds, long rssBytes, long peakRssBytes) {

        /** Average CPU use between {@code earlier} and this sample, in percent of one core. */
        double cpuPercentSince(Sample earlier) {
            double wall = (nanoTime - earlier.nanoTime) / 1e9;
            return wall <= 0 ? 0 : 100 * (cpuSeconds - earlier.cpuSeconds) / wall;
        }
    }

    static Sample sample(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
            long rss = 0;
            long hwm = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                }
            }
            return new Sample(pid, System.nanoTime(), ticks / (double) CLOCK_TICKS, rss, hwm);
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot read /proc for pid " + pid + " (has it exited?)", e);
        }
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return Long.parseLong(out);
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
