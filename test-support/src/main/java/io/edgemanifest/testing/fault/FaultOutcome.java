package io.edgemanifest.testing.fault;

import java.util.Objects;

/**
 * What one fault scenario of a {@code *FaultIT} measured: one row of the reliability table in
 * {@code docs/reliability.md}. Written by {@link FaultReport#record} and collected by
 * {@link FaultReportTable}, so the table is the suite's own output, never typed by hand.
 *
 * @param suite           the test class that injected the fault (e.g. {@code ConsulServerFaultIT})
 * @param fault           the fault as an operator would name it ("leader killed (-9), twice in a row")
 * @param mustHold        what the scenario asserts held through it ("no key lost, no false OFFLINE")
 * @param recoverySeconds measured time from the fault's end (or injection) to the network being whole
 *                        again, or {@code null} when the fault has no recovery to measure
 * @param falseEvents     events the Explorer recorded that the fault should not have caused
 *                        (false OFFLINE/UNKNOWN); the scenario asserts this is 0 unless documented
 * @param detail          one short line of what else was measured, or empty
 */
public record FaultOutcome(String suite, String fault, String mustHold, Double recoverySeconds, int falseEvents, String detail) {

    public FaultOutcome {
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(mustHold, "mustHold");
        detail = detail == null ? "" : detail;
        if (falseEvents < 0) {
            throw new IllegalArgumentException("falseEvents must be >= 0, was " + falseEvents);
        }
    }
}
