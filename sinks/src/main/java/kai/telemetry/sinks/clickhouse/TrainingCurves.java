package kai.telemetry.sinks.clickhouse;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads a run's downsampled loss curve from {@code training_curve} (migration V009): the smallest
 * bucket width giving at most {@code maxPoints} buckets over the whole run, each bucket with its
 * last, max and min loss. The widths here are the ones V009 writes (a test holds them equal).
 */
public final class TrainingCurves {
  /** Bucket widths in steps. */
  public static final List<Long> STEP_WIDTHS = List.of(1L, 8L, 64L, 512L, 4096L, 32768L);

  /** Bucket widths in tokens: 2^20 growing by 8x to 2^41. */
  public static final List<Long> TOKEN_WIDTHS =
      List.of(
          1_048_576L,
          8_388_608L,
          67_108_864L,
          536_870_912L,
          4_294_967_296L,
          34_359_738_368L,
          274_877_906_944L,
          2_199_023_255_552L);

  /** The x axis of a curve. */
  public enum Axis {
    STEP("step", STEP_WIDTHS),
    TOKENS("tokens", TOKEN_WIDTHS);

    final String column;
    final List<Long> widths;

    Axis(String column, List<Long> widths) {
      this.column = column;
      this.widths = widths;
    }
  }

  private TrainingCurves() {}

  /**
   * SQL returning {@code x, loss_last, loss_max, loss_min, step_last, ts_last_ms, has_nonfinite}
   * per bucket, in x order. x is the position of the bucket's last point.
   */
  public static String sql(String database, String team, String runId, Axis axis, int maxPoints) {
    String table = Tables.qualified(database, "training_curve");
    String run =
        "team = "
            + literal(team)
            + " AND run_id = "
            + literal(runId)
            + " AND axis = '"
            + axis.column
            + "'";
    long coarsest = axis.widths.get(axis.widths.size() - 1);
    String widths =
        axis.widths.stream().map(w -> "toUInt64(" + w + ")").collect(Collectors.joining(", "));
    return "SELECT maxMerge(x_last_state) AS x,"
        + " argMaxIfMerge(loss_last_state) AS loss_last,"
        + " maxIfMerge(loss_max_state) AS loss_max,"
        + " minIfMerge(loss_min_state) AS loss_min,"
        + " maxMerge(step_last_state) AS step_last,"
        + " maxMerge(ts_last_state) AS ts_last_ms,"
        + " maxMerge(nonfinite_state) AS has_nonfinite"
        + " FROM "
        + table
        + " WHERE "
        + run
        // The width, from the run's last x read off its few coarsest buckets: a scalar subquery
        // (evaluated once, so the primary key applies) over a plain one (18.16 cannot merge
        // aggregate states inside a lambda).
        + " AND width = (SELECT arrayFirst(w -> intDiv(last_x, w) < "
        + maxPoints
        + ", ["
        + widths
        + "]) FROM (SELECT toUInt64(maxMerge(x_last_state)) AS last_x FROM "
        + table
        + " WHERE "
        + run
        + " AND width = "
        + coarsest
        + "))"
        + " GROUP BY bucket"
        + " HAVING maxMerge(finite_state) = 1"
        + " ORDER BY x";
  }

  /** A ClickHouse string literal. */
  static String literal(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
