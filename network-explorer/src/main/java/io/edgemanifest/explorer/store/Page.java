package io.edgemanifest.explorer.store;

import java.util.List;

/** One page of results, the total matching count, and the cursor of the next page (null at the end). */
public record Page<T>(List<T> items, long total, String nextCursor) {
}
