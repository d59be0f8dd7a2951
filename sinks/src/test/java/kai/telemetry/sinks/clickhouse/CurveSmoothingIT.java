package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.stream.Collectors;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.StackHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Curve smoothing in SQL, on ClickHouse 18.16 and on current ClickHouse (chDB), against values
 * worked by hand and against the trackers' own recursions (TensorBoard's debiased EMA, W&B's
 * time-weighted EMA) on an unevenly logged series, to 1e-9.
 */
@ExtendWith(RealStackExtension.class)
class CurveSmoothingIT {
  private static final int N = 1000;

  @Test
  void smoothedCurvesEqualTheDocumentedFormulasOnBothEngines(LocalStack stack, @TempDir Path dir) {
    try (ClickHouseHttp server = new ClickHouseHttp(stack.clickhouse().httpUrl());
        Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      List<Function<String, String>> engines =
          List.of(server::execute, sql -> chdb.query(sql, "TabSeparated"));
      for (Function<String, String> engine : engines) {
        // By hand: EMA, w = 0.5 over y = 1, 2, 4: 1, (0.5 + 2) / 1.5, (0.25 + 1 + 4) / 1.75.
        // Time-weighted, w = 0.25 (k = 0.5) at x = 0, 1, 1000: the second point is 1/1000 of
        // the range on (d = 1), the third the whole range on (d = 1000, 0.5^999 ~ 0).
        String three = points("a/r", new double[] {0, 1, 1000}, new double[] {1, 2, 4}, -1);
        assertThat(smoothed(engine, three, "ema", 0.5).get("a/r"))
            .containsExactly(new double[] {1, 5.0 / 3, 3}, within(1e-12));
        assertThat(smoothed(engine, three, "twema", 0.25).get("a/r"))
            .containsExactly(new double[] {1, 5.0 / 3, 4}, within(1e-12));

        // Two runs logged unevenly, one with a bucket of only NaN losses (NULL), left out.
        double[] x = new double[N];
        double[] y = new double[N];
        for (int i = 0; i < N; i++) {
          x[i] = i * 7 + Math.sin(i) * 3;
          y[i] = 3 + Math.sin(i * 0.7) + (i % 13) * 0.01;
        }
        double[] x2 = new double[N / 2];
        double[] y2 = new double[N / 2];
        for (int i = 0; i < N / 2; i++) {
          x2[i] = i * i; // ever sparser
          y2[i] = 2 + Math.cos(i * 0.3);
        }
        String both = points("a/r", x, y, 17) + " UNION ALL " + points("b/r", x2, y2, -1);
        double[] xKept = drop(x, 17);
        double[] yKept = drop(y, 17);
        for (double w : new double[] {0, 0.1, 0.6, 0.9, 0.99, 0.999}) {
          var got = smoothed(engine, both, "ema", w);
          assertThat(got.get("a/r")).containsExactly(ema(yKept, w), within(1e-9));
          assertThat(got.get("b/r")).containsExactly(ema(y2, w), within(1e-9));
          got = smoothed(engine, both, "twema", w);
          assertThat(got.get("a/r")).containsExactly(twema(xKept, yKept, w), within(1e-9));
          assertThat(got.get("b/r")).containsExactly(twema(x2, y2, w), within(1e-9));
        }
      }
    }
  }

  /** TensorBoard's debiased EMA, as its chart computes it. */
  static double[] ema(double[] y, double w) {
    double k = Math.min(w, 0.999);
    double last = 0;
    double[] out = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      last = last * k + (1 - k) * y[i];
      out[i] = k == 0 ? y[i] : last / (1 - Math.pow(k, i + 1));
    }
    return out;
  }

  /** W&B's time-weighted EMA, as its documentation gives it. */
  static double[] twema(double[] x, double[] y, double w) {
    double k = Math.min(Math.sqrt(w), 0.999);
    double range = x[x.length - 1] - x[0];
    double last = 0;
    double debias = 0;
    double[] out = new double[y.length];
    for (int i = 0; i < y.length; i++) {
      double change = (x[i] - x[i > 0 ? i - 1 : 0]) / range * 1000;
      double a = Math.pow(k, change);
      last = last * a + y[i];
      debias = debias * a + 1;
      out[i] = last / debias;
    }
    return out;
  }

  private static java.util.Map<String, double[]> smoothed(
      Function<String, String> engine, String points, String method, double weight) {
    String sql =
        CurveSmoothing.sql(points, "'" + method + "'", String.format(Locale.ROOT, "%.6f", weight))
            + "\nFORMAT TabSeparated";
    java.util.Map<String, List<Double>> runs = new java.util.TreeMap<>();
    for (String line : engine.apply(sql).split("\n")) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        runs.computeIfAbsent(f[0], r -> new ArrayList<>()).add(Double.parseDouble(f[5]));
      }
    }
    java.util.Map<String, double[]> out = new java.util.TreeMap<>();
    runs.forEach((r, v) -> out.put(r, v.stream().mapToDouble(Double::doubleValue).toArray()));
    return out;
  }

  /** A points query: x and loss_last as given, loss NULL at index {@code nullAt} (-1: none). */
  private static String points(String run, double[] x, double[] y, int nullAt) {
    List<String> ys = new ArrayList<>();
    for (int i = 0; i < y.length; i++) {
      ys.add(i == nullAt ? "NULL" : Double.toString(y[i]));
    }
    return "SELECT '"
        + run
        + "' AS run, x, loss_last, loss_last AS loss_min, loss_last AS loss_max FROM system.one"
        + " ARRAY JOIN ["
        + java.util.Arrays.stream(x).mapToObj(Double::toString).collect(Collectors.joining(","))
        + "] AS x, ["
        + String.join(",", ys)
        + "] AS loss_last";
  }

  private static double[] drop(double[] a, int at) {
    double[] out = new double[a.length - 1];
    for (int i = 0, j = 0; i < a.length; i++) {
      if (i != at) {
        out[j++] = a[i];
      }
    }
    return out;
  }
}
