package io.edgemanifest.explorer.store;

import java.util.List;

/**
 * One page of results, the matching count, and the cursor of the next page (null at the end).
 * {@code totalIsLowerBound}: more matched than the store counts exactly (#15: an exact COUNT(*)
 * over a million matching rows costs more than the page), so {@code total} is "at least".
 */
public record Page<T>(List<T> items, long total, String nextCursor, boolean totalIsLowerBound) {

    public Page(List<T> items, long total, String nextCursor) {
        this(items, total, nextCursor, false);
    }
}
