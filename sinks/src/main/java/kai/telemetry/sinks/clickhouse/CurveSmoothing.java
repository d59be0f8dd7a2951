package kai.telemetry.sinks.clickhouse;

/**
 * Smoothing of loss curves at query time, as the teams know it from their trackers, in SQL that
 * runs on ClickHouse 18.16 and on current releases (docs/KPIS.md, "Curve smoothing"). The points
 * are the downsampled buckets a chart draws; each point's smoothed value is a weighted mean of the
 * points up to it:
 *
 * <pre>
 *   s_i = sum_{j<=i} k^(d_i - d_j) y_j / sum_{j<=i} k^(d_i - d_j)
 * </pre>
 *
 * <ul>
 *   <li>{@code ema}, TensorBoard's debiased EMA: k = w (at most 0.999), d_i = i, the point's rank;
 *   <li>{@code twema}, W&B's time-weighted EMA: k = min(sqrt(w), 0.999), d_i = 1000 (x_i - x_1) /
 *       (x_n - x_1), so unevenly logged runs are smoothed alike over the same span of x.
 * </ul>
 *
 * Both equal their tools' recursions (last = last a + y; debias = debias a + 1; s = last / debias).
 * The sums are taken in blocks of 300 units of d ln(1/k), each relative to its block's start, so no
 * power overflows whatever the weight; a point more than one block back weighs under e^-300 and is
 * left out. Points with a NULL y are left out (a bucket of only NaN/Inf losses).
 */
public final class CurveSmoothing {
  /** The methods, as the dashboards' variable spells them. */
  public static final java.util.List<String> METHODS = java.util.List.of("twema", "ema");

  private CurveSmoothing() {}

  /**
   * SQL returning {@code run, x, loss_last, loss_min, loss_max, loss_smoothed} per point, by run
   * and x, over {@code points}: a query returning {@code run, x, loss_last, loss_min, loss_max}.
   *
   * @param method a SQL expression of {@link #METHODS}' values, e.g. {@code 'twema'} (any other
   *     value smooths as {@code ema})
   * @param weight a SQL expression of the weight in [0, 1), e.g. {@code 0.9}; below 0 counts as 0,
   *     above 0.999 as 0.999. Where a user types it (a dashboard variable), pass it as a quoted
   *     literal read with {@code toFloat64OrZero}, never spliced in bare.
   */
  public static String sql(String points, String method, String weight) {
    String twema = "(" + method + ") = 'twema'";
    return String.join(
        "\n",
        "SELECT run, x, loss_last, loss_min, loss_max, loss_smoothed",
        "FROM",
        "(",
        "    SELECT run, bx, by, bmin, bmax,",
        "        arrayMap((n, d) -> (n + exp(-300) * prev_num) / (d + exp(-300) * prev_den),"
            + " bnum, bden) AS sms",
        "    FROM",
        "    (",
        "        SELECT run,",
        "            arraySort(groupArray(b)) AS bs,",
        "            arraySort((v, k) -> k, groupArray(cum_num[length(cum_num)]), groupArray(b))"
            + " AS nums,",
        "            arraySort((v, k) -> k, groupArray(cum_den[length(cum_den)]), groupArray(b))"
            + " AS dens,",
        "            arraySort((v, k) -> k, groupArray(xs), groupArray(b)) AS bxs,",
        "            arraySort((v, k) -> k, groupArray(ys), groupArray(b)) AS bys,",
        "            arraySort((v, k) -> k, groupArray(mins), groupArray(b)) AS bmins,",
        "            arraySort((v, k) -> k, groupArray(maxs), groupArray(b)) AS bmaxs,",
        "            arraySort((v, k) -> k, groupArray(cum_num), groupArray(b)) AS bnums,",
        "            arraySort((v, k) -> k, groupArray(cum_den), groupArray(b)) AS bdens,",
        // Only the block just before a point's own block counts; older ones weigh < e^-300.
        "            arrayMap(i -> if(i > 1 AND bs[i - 1] = bs[i] - 1, nums[i - 1], 0),"
            + " arrayEnumerate(bs)) AS prev_nums,",
        "            arrayMap(i -> if(i > 1 AND bs[i - 1] = bs[i] - 1, dens[i - 1], 0),"
            + " arrayEnumerate(bs)) AS prev_dens",
        "        FROM",
        "        (",
        "            SELECT run, b,",
        "                arraySort(groupArray(x)) AS xs,",
        "                arraySort((v, k) -> k, groupArray(y), groupArray(x)) AS ys,",
        "                arraySort((v, k) -> k, groupArray(y_min), groupArray(x)) AS mins,",
        "                arraySort((v, k) -> k, groupArray(y_max), groupArray(x)) AS maxs,",
        "                arraySort((v, k) -> k, groupArray(e), groupArray(x)) AS es,",
        "                arrayCumSum(arrayMap((v, w) -> exp(w) * v, ys, es)) AS cum_num,",
        "                arrayCumSum(arrayMap(w -> exp(w), es)) AS cum_den",
        "            FROM",
        "            (",
        "                SELECT run, x, y, y_min, y_max, toInt64(floor(ld / 300)) AS b,"
            + " ld - 300 * b AS e",
        "                FROM",
        "                (",
        "                    SELECT run, xs, ys, mins, maxs,",
        "                        if("
            + twema
            + ", least(sqrt(greatest(toFloat64("
            + weight
            + "), 0)), 0.999), least(greatest(toFloat64("
            + weight
            + "), 0), 0.999)) AS k,",
        "                        -log(greatest(k, 1e-300)) AS l,",
        // k = 0 (no smoothing): ranks 1 apart are 690 > 300 apart, so no point weighs on another.
        "                        if(" + twema + " AND k > 0,",
        "                            arrayMap(v -> (v - xs[1]) * 1000"
            + " / greatest(xs[length(xs)] - xs[1], 1e-300) * l, xs),",
        "                            arrayMap(i -> (i - 1) * l, arrayEnumerate(xs))) AS lds",
        "                    FROM",
        "                    (",
        "                        SELECT run,",
        "                            arraySort(groupArray(px)) AS xs,",
        "                            arraySort((v, k) -> k, groupArray(py), groupArray(px)) AS ys,",
        "                            arraySort((v, k) -> k, groupArray(pmin), groupArray(px))"
            + " AS mins,",
        "                            arraySort((v, k) -> k, groupArray(pmax), groupArray(px))"
            + " AS maxs",
        "                        FROM",
        "                        (",
        "                            SELECT run, toFloat64(x) AS px,"
            + " toFloat64(assumeNotNull(loss_last)) AS py,",
        "                                toFloat64(ifNull(loss_min, loss_last)) AS pmin,"
            + " toFloat64(ifNull(loss_max, loss_last)) AS pmax",
        "                            FROM (" + points + ")",
        "                            WHERE loss_last IS NOT NULL",
        "                        )",
        "                        GROUP BY run",
        "                    )",
        "                )",
        "                ARRAY JOIN xs AS x, ys AS y, mins AS y_min, maxs AS y_max, lds AS ld",
        "            )",
        "            GROUP BY run, b",
        "        )",
        "        GROUP BY run",
        "    )",
        "    ARRAY JOIN bs AS b, prev_nums AS prev_num, prev_dens AS prev_den, bxs AS bx, bys AS by,",
        "        bmins AS bmin, bmaxs AS bmax, bnums AS bnum, bdens AS bden",
        ")",
        "ARRAY JOIN bx AS x, by AS loss_last, bmin AS loss_min, bmax AS loss_max,"
            + " sms AS loss_smoothed",
        "ORDER BY run, x");
  }
}
