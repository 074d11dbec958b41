package io.edgemanifest.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line charts of benchmark series against a shared x axis (number of hosts), via XChart. */
final class Charts {

    private Charts() {
    }

    /** Writes {@code file} (PNG): one line per series; NaN points are left out. */
    static void lines(Path file, String title, String xTitle, String yTitle, List<? extends Number> x,
                      Map<String, List<Double>> series) {
        lines(file, title, xTitle, yTitle, x, series, false);
    }

    /** As above, the y axis logarithmic when series differ by orders of magnitude (points ≤ 0 left out then). */
    static void lines(Path file, String title, String xTitle, String yTitle, List<? extends Number> x,
                      Map<String, List<Double>> series, boolean logY) {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(760).height(460).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setYAxisLogarithmic(logY);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        series.forEach((name, ys) -> {
            List<Double> xs = new java.util.ArrayList<>();
            List<Double> vs = new java.util.ArrayList<>();
            for (int i = 0; i < x.size() && i < ys.size(); i++) {
                if (ys.get(i) != null && !ys.get(i).isNaN() && (!logY || ys.get(i) > 0)) {
                    xs.add(x.get(i).doubleValue());
                    vs.add(ys.get(i));
                }
            }
            if (!xs.isEmpty()) {
                chart.addSeries(name, xs, vs).setMarker(SeriesMarkers.CIRCLE);
            }
        });
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
