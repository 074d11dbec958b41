package io.edgemanifest.explorer.store;

/**
 * Availability of one kind in one datacenter over a range.
 *
 * @param devices     devices of that kind and datacenter
 * @param observed    how many of them had observed time in the range (the others are "no data")
 * @param mean        mean availability of the observed ones, or null when none was observed
 * @param belowTarget how many observed ones are below the kind's target
 */
public record ReportRow(String kind, String datacenter, long devices, long observed, Double mean, long belowTarget) {
}
