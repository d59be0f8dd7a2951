package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.StackHome;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training views over hand-made rows, with values worked by hand, on ClickHouse 18.16 and on
 * current ClickHouse (chDB): two teams' runs of the same name stay apart on every axis; a stalled
 * run's ETTR and ETA follow the clock; MFU on the GPUs observed working for a run that declared
 * more.
 */
@ExtendWith(RealStackExtension.class)
class TrainingViewsIT {
  private static final long HOUR = 3_600_000;

  /** The run's start, three hours ago on a whole minute. */
  private static final long T0 = (System.currentTimeMillis() - 3 * HOUR) / 60_000 * 60_000;

  private final TestNamespace ns = TestNamespace.of(TrainingViewsIT.class);

  @Test
  void curvesStallsAndObservedGpusOnBothEngines(LocalStack stack, @TempDir Path dir) {
    try (ClickHouseHttp server = new ClickHouseHttp(stack.clickhouse().httpUrl());
        Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      check(server::execute, ns.database());
      check(sql -> chdb.query(sql, "TabSeparated"), "kai");
    }
  }

  private static void check(Function<String, String> engine, String db) {
    Migrations.apply(engine::apply, db);
    // a/r declared 8 GPUs and a model of 6 x 1e9 + 12 x 2 x 4 x 8 x 16 FLOPs per token; b/r, the
    // same run name in another team, declared nothing and finished.
    engine.apply(
        "INSERT INTO "
            + db
            + ".run_lifecycle (team, run_id, ts_ms, kind, spec_parameters, spec_layers,"
            + " spec_heads, spec_head_dim, spec_seq_len, spec_planned_tokens, spec_gpu_count,"
            + " spec_gpu_type) VALUES ('a', 'r', "
            + T0
            + ", 'STARTED', 1000000000, 2, 4, 8, 16, 1000000000, 8, 'H100'), ('b', 'r', "
            + (T0 + 2 * HOUR)
            + ", 'FINISHED', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)");
    engine.apply(
        "INSERT INTO "
            + db
            + ".training_steps (team, run_id, step, ts_ms, tokens, loss, source) VALUES"
            + " ('a', 'r', 1, "
            + (T0 + 60_000)
            + ", 1000, 3.0, 't'), ('a', 'r', 2, "
            + (T0 + 2 * HOUR)
            + ", 2000, 2.5, 't'), ('b', 'r', 1, "
            + (T0 + HOUR)
            + ", 500, 4.0, 't'), ('b', 'r', 2, "
            + (T0 + 2 * HOUR)
            + ", 1500, 3.5, 't')");
    // a/r's last minute: 2 h after its start, ETTR 0.9, half its tokens, 1e5 tokens/s, MFU 0.4.
    long lastMinute = T0 + 2 * HOUR;
    engine.apply(
        "INSERT INTO "
            + db
            + ".run_1m (team, run_id, window_start_ms, window_end_ms, steps, last_step,"
            + " last_ts_ms, tokens, tokens_per_sec, planned_tokens, progress_pct, mfu, ettr, loss_min,"
            + " nan_inf_count, spike_count, interruptions, version) VALUES ('a', 'r', "
            + lastMinute
            + ", "
            + (lastMinute + 60_000)
            + ", 1, 2, "
            + lastMinute
            + ", 500000000, 100000, 1000000000, 50, 0.4, 0.9, 2.5, 0, 0, 0, 1), ('b', 'r', "
            + lastMinute
            + ", "
            + (lastMinute + 60_000)
            + ", 1, 2, "
            + lastMinute
            + ", 1500, 10, NULL, NULL, NULL, 0.5, 3.5, 0, 0, 0, 1)");
    // In that minute four GPUs name a/r, one names no run, one is team b's run r.
    StringBuilder samples = new StringBuilder();
    for (int g = 0; g < 4; g++) {
      samples.append(g > 0 ? ", " : "").append(sample("a", "GPU-" + g, lastMinute + g, "'r'"));
    }
    samples.append(", ").append(sample("a", "GPU-9", lastMinute, "NULL"));
    samples.append(", ").append(sample("b", "GPU-0", lastMinute, "'r'"));
    engine.apply(
        "INSERT INTO "
            + db
            + ".gpu_samples (team, cluster, node, gpu_uuid, gpu_index, ts_ms, utilization_pct,"
            + " run_id) VALUES "
            + samples);

    // Curves: the two runs named r stay two series; compute and hours since start by hand.
    List<String> curves =
        rows(
            engine,
            "SELECT team, run_id, tokens, training_flops, hours_since_start, loss_last FROM "
                + db
                + ".v_training_curves_axes WHERE axis = 'tokens' AND width = 1048576"
                + " ORDER BY team");
    double fpt = 6e9 + 12.0 * 2 * 4 * 8 * 16;
    assertThat(curves).hasSize(2);
    String[] a = curves.get(0).split("\t");
    assertThat(a[0] + "/" + a[1]).isEqualTo("a/r");
    assertThat(Long.parseLong(a[2])).isEqualTo(2000);
    assertThat(Double.parseDouble(a[3])).isCloseTo(2000 * fpt, within(1e-3));
    assertThat(Double.parseDouble(a[4])).isCloseTo(2.0, within(1e-12));
    assertThat(Double.parseDouble(a[5])).isEqualTo(2.5);
    String[] b = curves.get(1).split("\t");
    assertThat(b[0] + "/" + b[1]).isEqualTo("b/r");
    assertThat(b[3]).isEqualTo("\\N"); // no spec: no compute axis, never 0
    assertThat(Double.parseDouble(b[4])).isCloseTo(1.0, within(1e-12)); // from its first step
    assertThat(Double.parseDouble(b[5])).isEqualTo(3.5);

    // Live status: a/r has logged nothing for about an hour of its three.
    List<String> live =
        rows(
            engine,
            "SELECT team, stalled_seconds, ettr_at_last_step, ettr_now, eta_now_seconds, finished,"
                + " toInt64(now()) * 1000 AS now_ms FROM "
                + db
                + ".v_run_live ORDER BY team");
    String[] la = live.get(0).split("\t");
    long now = Long.parseLong(la[6]);
    double ettrNow = 0.9 * (2.0 * HOUR) / (now - T0);
    assertThat(Double.parseDouble(la[1])).isCloseTo((now - lastMinute) / 1000.0, within(1e-9));
    assertThat(Double.parseDouble(la[2])).isEqualTo(0.9);
    assertThat(Double.parseDouble(la[3])).isCloseTo(ettrNow, within(1e-12)).isLessThan(0.61);
    assertThat(Double.parseDouble(la[4])).isCloseTo(5e8 / 1e5 / ettrNow, within(1e-6));
    assertThat(la[5]).isEqualTo("0");
    String[] lb = live.get(1).split("\t");
    assertThat(Double.parseDouble(lb[1])).isZero(); // finished: not stalled
    assertThat(Double.parseDouble(lb[3])).isEqualTo(0.5);
    assertThat(lb[5]).isEqualTo("1");

    // MFU on observed GPUs: 8 declared, 4 seen working for a/r -> twice the declared MFU.
    List<String> mfu =
        rows(
            engine,
            "SELECT team, mfu_declared, gpus_declared, gpus_observed, mfu_observed,"
                + " declared_gpu_hours, metered_gpu_hours, implied_gpu_hours FROM "
                + db
                + ".v_run_mfu ORDER BY team");
    assertThat(mfu).hasSize(2);
    String[] ma = mfu.get(0).split("\t");
    assertThat(ma[2]).isEqualTo("8");
    assertThat(ma[3]).isEqualTo("4");
    assertThat(Double.parseDouble(ma[4])).isCloseTo(0.8, within(1e-12));
    // Its ledger for the minute: 8/60 declared, 4/60 metered, 0.4 x 8 / 60 implied GPU-hours.
    assertThat(Double.parseDouble(ma[5])).isCloseTo(8.0 / 60, within(1e-12));
    assertThat(Double.parseDouble(ma[6])).isCloseTo(4.0 / 60, within(1e-12));
    assertThat(Double.parseDouble(ma[7])).isCloseTo(0.4 * 8 / 60, within(1e-12));
    String[] mb = mfu.get(1).split("\t");
    assertThat(mb[3]).isEqualTo("1");
    assertThat(mb[4]).isEqualTo("\\N"); // no declared spec, no MFU

    scaling(engine, db);
    ledger(engine, db, lastMinute);
  }

  /**
   * The compute ledger of team a's last minute: allocated 16 GPUs (16/60 GPU-hours), 4 GPUs metered
   * (4/60), and a/r's claim at MFU 0.4 on 8 declared GPUs implies 0.4 x 8 / 60.
   */
  private static void ledger(Function<String, String> engine, String db, long minute) {
    engine.apply(
        "INSERT INTO "
            + db
            + ".team_fleet_1m (team, window_start_ms, window_end_ms, gpus_reporting, samples,"
            + " utilization_mean_pct, version, gpu_allocation, gpu_hours) VALUES ('a', "
            + minute
            + ", "
            + (minute + 60_000)
            + ", 4, 8, 90, 1, 16, "
            + (4.0 / 60)
            + ")");
    List<String> rows =
        rows(
            engine,
            "SELECT team, allocated_gpu_hours, metered_gpu_hours, implied_gpu_hours FROM "
                + db
                + ".v_compute_ledger WHERE window_start_ms = "
                + minute
                + " ORDER BY team");
    assertThat(rows).hasSize(2);
    String[] a = rows.get(0).split("\t");
    assertThat(a[0]).isEqualTo("a");
    assertThat(Double.parseDouble(a[1])).isCloseTo(16.0 / 60, within(1e-12));
    assertThat(Double.parseDouble(a[2])).isCloseTo(4.0 / 60, within(1e-12));
    assertThat(Double.parseDouble(a[3])).isCloseTo(0.4 * 8 / 60, within(1e-12));
    String[] b = rows.get(1).split("\t");
    assertThat(Double.parseDouble(b[3])).isZero(); // no spec, no MFU: nothing implied
  }

  private static void scaling(Function<String, String> engine, String db) {
    // Phase 1 closed an hour before a/r started: a/r ran in phase 2; b/r declared no spec.
    engine.apply(
        "INSERT INTO "
            + db
            + ".evaluation_rules (phase, closed_ms, updated_ms) VALUES (1, "
            + (T0 - HOUR)
            + ", 1)");
    List<String> rows =
        rows(
            engine,
            "SELECT team, run_id, phase, training_flops, best_loss FROM "
                + db
                + ".v_scaling ORDER BY team");
    assertThat(rows).hasSize(2);
    // a/r's latest minute: 5e8 tokens, its best minute's loss 2.5.
    String[] r = rows.get(0).split("\t");
    assertThat(r[0] + "/" + r[1] + " phase " + r[2]).isEqualTo("a/r phase 2");
    assertThat(Double.parseDouble(r[3]))
        .isCloseTo(5e8 * (6e9 + 12.0 * 2 * 4 * 8 * 16), within(1.0));
    assertThat(Double.parseDouble(r[4])).isEqualTo(2.5);
    String[] rb = rows.get(1).split("\t");
    assertThat(rb[0] + "/" + rb[1] + " phase " + rb[2]).isEqualTo("b/r phase 2");
    assertThat(rb[3]).isEqualTo("\\N"); // no spec, no compute
  }

  private static String sample(String team, String gpu, long ts, String run) {
    return "('" + team + "', 'c', 'n', '" + gpu + "', 0, " + ts + ", 90, " + run + ")";
  }

  private static List<String> rows(Function<String, String> engine, String sql) {
    return List.of(engine.apply(sql + " FORMAT TabSeparated").strip().split("\n"));
  }
}
