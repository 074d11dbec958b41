package io.edgemanifest.explorer.store;

import java.util.List;
import java.util.Map;

/** The map's answer: one entry per non-empty cell, and the matching devices with no position. */
public record MapGrid(double cellDegrees, List<Cell> cells, Map<DeviceStatus, Long> unlocated) {

    public MapGrid {
        cells = List.copyOf(cells);
        unlocated = Map.copyOf(unlocated);
    }

    /**
     * @param lat   mean latitude of the cell's devices (where a cluster is drawn)
     * @param row   floor(lat / cell), @param col floor(lon / cell): the cell's place in the grid
     */
    public record Cell(long row, long col, double lat, double lon, long count, Map<DeviceStatus, Long> byStatus,
                       Map<String, Long> byKind) {

        public Cell {
            byStatus = Map.copyOf(byStatus);
            byKind = Map.copyOf(byKind);
        }
    }
}
