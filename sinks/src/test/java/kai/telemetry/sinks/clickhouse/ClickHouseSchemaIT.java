package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.StackHome;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The migrations on both engines: the distribution's ClickHouse server and current chDB. */
@ExtendWith(RealStackExtension.class)
class ClickHouseSchemaIT {
  static final List<String> ANALYST_VIEWS =
      List.of(
          "v_alerts",
          "v_benchmark_results",
          "v_benchmark_standings",
          "v_benchmarks",
          "v_cluster_fleet_1m",
          "v_compute_ledger",
          "v_derivative_models",
          "v_phase_scoreboard",
          "v_phase_scoreboard_history",
          "v_phase_standings",
          "v_run_1m",
          "v_run_live",
          "v_run_mfu",
          "v_run_provenance",
          "v_run_status",
          "v_scaling",
          "v_team_fleet_1m",
          "v_teams",
          "v_training_curves",
          "v_training_curves_axes",
          "v_training_curves_compute",
          "v_training_scalars",
          "v_training_steps");
  private final TestNamespace ns = TestNamespace.of(ClickHouseSchemaIT.class);

  @Test
  void migrationsApplyOnceAndAreRecordedOnTheServer(LocalStack stack) {
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      assertThat(Migrations.apply(ch::execute, ns.database()))
          .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
      assertThat(Migrations.apply(ch::execute, ns.database())).isEmpty();
      assertThat(
              ch.execute(
                  "SELECT version, name FROM "
                      + ns.database()
                      + ".schema_migrations ORDER BY version FORMAT TabSeparated"))
          .isEqualTo(
              "1\tgpu_samples_and_team_fleet_1m\n2\tgpu_samples_dcgm_fields\n3\trun_1m\n4\tprogram_kpis\n5\tteam_fleet_1m_v2\n6\talerts\n7\tcluster_fleet_1m\n8\traw_events_and_reference\n9\ttraining_curves\n10\tanalyst_views\n11\tprogram_of_record\n12\tphase_categories\n13\ttraining_scalars\n14\tgpu_samples_v3\n15\tbenchmark_results_by_task\n16\ttraining_curves_compute\n17\ttraining_axes_live_and_observed_mfu\n18\tscaling\n19\trun_provenance_and_chain\n");
      assertThat(
              ch.execute(
                  "SELECT name FROM system.tables WHERE database = '"
                      + ns.database()
                      + "' AND engine != 'View' ORDER BY name FORMAT TabSeparated"))
          .isEqualTo(
              "alerts\nbenchmark_results\nbenchmark_standings\nbenchmarks\ncluster_fleet_1m\ncollector_rejects\nderivative_models\nevaluation_rules\nevaluation_scores\ngpu_samples\nphase_scoreboard\nphase_scoreboard_history\nphase_scoreboard_history_mv\nphase_standings\nrun_1m\nrun_lifecycle\nschema_migrations\nteam_fleet_1m\nteams\ntraining_curve\ntraining_curve_by_step\ntraining_curve_by_tokens\ntraining_scalars\ntraining_steps\n");
      assertThat(
              ch.execute(
                  "SELECT name FROM system.tables WHERE database = '"
                      + ns.database()
                      + "' AND engine = 'View' ORDER BY name FORMAT TabSeparated"))
          .isEqualTo(String.join("\n", ANALYST_VIEWS) + "\n");
      // The derived event time follows ts_ms.
      ch.execute(
          "INSERT INTO "
              + ns.database()
              + ".gpu_samples (team, cluster, node, gpu_uuid, gpu_index, ts_ms, utilization_pct)"
              + " VALUES ('t', 'c', 'n', 'g', 0, 1768467600123, 50)");
      assertThat(
              ch.execute(
                  "SELECT toString(event_time) FROM "
                      + ns.database()
                      + ".gpu_samples FORMAT TabSeparated"))
          .isEqualTo("2026-01-15 09:00:00\n");
      assertCurvesKeepMinMaxLast(ch::execute, ns.database());
      assertCategoriesReadAsArrays(ch::execute, ns.database());
      assertRetentionDropsWholeOldMonths(ch::execute, ns.database());
    }
  }

  /**
   * The product's users on the server: the sink migrates and writes database kai and nothing else;
   * grafana and analyst read it (views included) but cannot write, create or read elsewhere.
   */
  @Test
  void productUsersAreConfinedToTheirRights(LocalStack stack) {
    String url = stack.clickhouse().httpUrl();
    String kai = ClickHouseUser.DATABASE;
    try (ClickHouseHttp admin = new ClickHouseHttp(url);
        ClickHouseHttp sink = login(url, ClickHouseUser.SINK);
        ClickHouseHttp grafana = login(url, ClickHouseUser.GRAFANA);
        ClickHouseHttp analyst = login(url, ClickHouseUser.ANALYST)) {
      Migrations.apply(sink::execute, kai);
      sink.execute(
          "INSERT INTO kai.teams (id, name_ko, name_en, gpu_allocation, gpu_type, status,"
              + " updated_ms) VALUES ('upstage', '업스테이지', 'Upstage', 8, 'H100', 'ACTIVE', 1)");
      // The sink's user can run the retention sweep (system.parts, DROP PARTITION) on its database.
      assertThat(Retention.sweep(sink::execute, kai, Retention.DEFAULT_DAYS, Retention.today()))
          .isEmpty();
      // The Native insert path reads the column types it writes at start.
      assertThat(HttpNativeWriter.columns(sink, kai, Tables.TEAMS)).containsEntry("id", "String");
      admin.execute("CREATE DATABASE IF NOT EXISTS " + ns.database());
      assertThatThrownBy(
              () ->
                  sink.execute(
                      "CREATE TABLE "
                          + ns.database()
                          + ".x (a Int64) ENGINE = MergeTree ORDER BY a"))
          .hasMessageContaining("Access denied");
      for (ClickHouseHttp reader : List.of(grafana, analyst)) {
        assertThat(reader.execute("SELECT id, name_en FROM kai.v_teams FORMAT TabSeparated"))
            .isEqualTo("upstage\tUpstage\n");
        assertThatThrownBy(() -> reader.execute("INSERT INTO kai.teams (id) VALUES ('x')"))
            .hasMessageContaining("readonly");
        assertThatThrownBy(() -> reader.execute("DROP TABLE kai.teams"))
            .hasMessageContaining("readonly");
        assertThatThrownBy(
                () -> reader.execute("SELECT count() FROM " + ns.database() + ".schema_migrations"))
            .hasMessageContaining("Access denied");
      }
      assertThat(admin.count("SELECT count() FROM kai.teams")).isEqualTo(1);
    }
  }

  private static ClickHouseHttp login(String url, ClickHouseUser user) {
    return new ClickHouseHttp(url, user.user(), user.localPassword());
  }

  @Test
  void migrationsRunOnCurrentClickHouse(@TempDir Path dir) {
    try (Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      assertThat(Migrations.apply(sql -> chdb.query(sql, "TabSeparated"), "kai"))
          .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19);
      assertThat(Migrations.apply(sql -> chdb.query(sql, "TabSeparated"), "kai")).isEmpty();
      chdb.query(
          "INSERT INTO kai.team_fleet_1m (team, window_start_ms, window_end_ms, gpus_reporting,"
              + " samples, utilization_mean_pct, version) VALUES ('t', 0, 60000, 2, 3, 90, 3),"
              + " ('t', 0, 60000, 1, 1, 80, 1)",
          "TabSeparated");
      // ReplacingMergeTree(version) + FINAL keeps the fullest update of a window.
      assertThat(
              chdb.query(
                  "SELECT gpus_reporting, samples, utilization_mean_pct FROM kai.team_fleet_1m FINAL",
                  "TabSeparated"))
          .isEqualTo("2\t3\t90\n");
      assertCurvesKeepMinMaxLast(sql -> chdb.query(sql, "TabSeparated"), "kai");
      assertCategoriesReadAsArrays(sql -> chdb.query(sql, "TabSeparated"), "kai");
      assertRetentionDropsWholeOldMonths(sql -> chdb.query(sql, "TabSeparated"), "kai");
      assertThat(
              chdb.query(
                  "SELECT name FROM system.tables WHERE database = 'kai' AND engine = 'View'"
                      + " ORDER BY name",
                  "TabSeparated"))
          .isEqualTo(String.join("\n", ANALYST_VIEWS) + "\n");
    }
  }

  /**
   * Steps 0..19 of one run with a spike at step 13, a NaN at step 5 and every step inserted twice
   * (a sink replay): the step-axis curve at width 8 must keep each bucket's min, max and last
   * finite loss, mark the NaN, and not change with the replay. Loss at step s is 10 - s / 8.
   */
  static void assertCurvesKeepMinMaxLast(Migrations.Executor db, String database) {
    StringBuilder values = new StringBuilder();
    for (int step = 0; step < 20; step++) {
      String loss = step == 5 ? "nan" : step == 13 ? "50" : Double.toString(10 - step * 0.125);
      values
          .append(values.isEmpty() ? "" : ", ")
          .append("('kai', 'run-c', ")
          .append(step)
          .append(", ")
          .append(1_768_467_600_000L + step * 1000L)
          .append(", ")
          .append(step * 1_048_576L)
          .append(", ")
          .append(loss)
          .append(", 1.5, 'test')");
    }
    String insert =
        "INSERT INTO "
            + database
            + ".training_steps (team, run_id, step, ts_ms, tokens, loss, grad_norm, source) VALUES "
            + values;
    db.run(insert);
    db.run(insert); // replayed
    String curve =
        db.run(
            "SELECT bucket, x_last, loss_min, loss_max, loss_last, has_nonfinite FROM "
                + database
                + ".v_training_curves WHERE run_id = 'run-c' AND axis = 'step' AND width = 8"
                + " ORDER BY bucket FORMAT TabSeparated");
    assertThat(curve)
        .isEqualTo(
            "0\t7\t9.125\t10\t9.125\t1\n8\t15\t8.125\t50\t8.125\t0\n16\t19\t7.625\t8\t7.625\t0\n");
    // Token axis, finest width (2^20 tokens = one step here): the spike is its own bucket.
    assertThat(
            db.run(
                "SELECT count(), max(loss_max), countIf(loss_last IS NULL) FROM "
                    + database
                    + ".v_training_curves WHERE run_id = 'run-c' AND axis = 'tokens'"
                    + " AND width = 1048576 FORMAT TabSeparated"))
        .isEqualTo("20\t50\t1\n");
    // The reader picks the finest width that fits: every finite step here, width 8 for 3 points.
    String fine =
        db.run(
            TrainingCurves.sql(database, "kai", "run-c", TrainingCurves.Axis.STEP, 2000)
                + " FORMAT TabSeparated");
    assertThat(fine.split("\n")).hasSize(19);
    assertThat(
            db.run(
                TrainingCurves.sql(database, "kai", "run-c", TrainingCurves.Axis.STEP, 3)
                    + " FORMAT TabSeparated"))
        .startsWith("7\t9.125\t10\t9.125\t7\t")
        .contains("\n15\t8.125\t50\t8.125\t15\t");
  }

  /**
   * A scoreboard row's points per category land as text and read back as arrays, in the scoreboard
   * view and in its history (fed by the materialized view).
   */
  static void assertCategoriesReadAsArrays(Migrations.Executor db, String database) {
    db.run(
        "INSERT INTO "
            + database
            + ".phase_scoreboard (phase, team, team_status, total, rank, passed, computed_ms,"
            + " version, categories, category_points, category_max_points, published_categories)"
            + " VALUES (2, 'upstage', 'ACTIVE', 38.5, 1, 1, 1768467600000, 7, 'nia,agentic',"
            + " '8.5,30.0', '20.0,30.0', 'nia'), (2, 'lg-ai-research', 'ACTIVE', 0, 2, 0,"
            + " 1768467600000, 7, '', '', '', '')");
    assertThat(
            db.run(
                "SELECT team, categories, category_points, category_max_points,"
                    + " published_categories, arraySum(category_points) FROM "
                    + database
                    + ".v_phase_scoreboard WHERE phase = 2 ORDER BY team FORMAT TabSeparated"))
        .isEqualTo(
            "lg-ai-research\t[]\t[]\t[]\t[]\t0\n"
                + "upstage\t['nia','agentic']\t[8.5,30]\t[20,30]\t['nia']\t38.5\n");
    assertThat(
            db.run(
                "SELECT categories, category_points FROM "
                    + database
                    + ".v_phase_scoreboard_history WHERE phase = 2 AND team = 'upstage'"
                    + " FORMAT TabSeparated"))
        .isEqualTo("['nia','agentic']\t[8.5,30]\n");
  }

  /**
   * Samples in November 2025, January 2026 and February 2026; on 2026-03-15 with 30 days of
   * retention (keep from 2026-02-13) the months that ended before that go, February stays whole.
   */
  static void assertRetentionDropsWholeOldMonths(Migrations.Executor db, String database) {
    db.run(
        "INSERT INTO "
            + database
            + ".gpu_samples (team, cluster, node, gpu_uuid, gpu_index, ts_ms, utilization_pct)"
            + " VALUES ('t', 'c', 'n', 'g', 0, 1762300800000, 1),"
            + " ('t', 'c', 'n', 'g', 0, 1768467600000, 2), ('t', 'c', 'n', 'g', 0, 1770000000000, 3)");
    assertThat(
            Retention.sweep(
                db,
                database,
                java.util.Map.of(Tables.GPU_SAMPLES, 30, "collector_rejects", 0),
                java.time.LocalDate.parse("2026-03-15")))
        .containsExactly("gpu_samples 202511", "gpu_samples 202601");
    assertThat(
            db.run(
                "SELECT groupArray(utilization_pct) FROM "
                    + database
                    + ".gpu_samples WHERE team = 't' AND cluster = 'c' FORMAT TabSeparated"))
        .isEqualTo("[3]\n");
  }

  /**
   * Two sinks starting at once: one has run V2's statements and not yet recorded it when the other
   * reaches V2 and finds its column there. The second waits for the record instead of stopping, and
   * both then finish with every migration applied once.
   */
  @Test
  void sinksStartingAtOnceBothFinishTheMigrations(LocalStack stack) throws Exception {
    String database = ns.database() + "_race";
    // Two threads of their own: the common pool may have one on a small machine.
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl());
        java.util.concurrent.ExecutorService sinks =
            java.util.concurrent.Executors.newFixedThreadPool(2)) {
      java.util.concurrent.CountDownLatch secondMetV2 = new java.util.concurrent.CountDownLatch(1);
      java.util.concurrent.CompletableFuture<List<Integer>> first =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () ->
                  Migrations.apply(
                      sql -> {
                        if (sql.contains("schema_migrations") && sql.contains("VALUES (2,")) {
                          await(secondMetV2); // V2 run, its record held back
                        }
                        return ch.execute(sql);
                      },
                      database),
              sinks);
      Await.until(
          "the first sink to run V2",
          java.time.Duration.ofSeconds(60),
          () ->
              ch.execute("EXISTS TABLE " + database + ".gpu_samples").strip().equals("1")
                  && ch.execute(
                          "SELECT count() FROM system.columns WHERE database = '"
                              + database
                              + "' AND table = 'gpu_samples' AND name = 'model_name'")
                      .strip()
                      .equals("1"));
      java.util.concurrent.CompletableFuture<List<Integer>> second =
          java.util.concurrent.CompletableFuture.supplyAsync(
              () ->
                  Migrations.apply(
                      sql -> {
                        try {
                          return ch.execute(sql);
                        } catch (RuntimeException e) {
                          secondMetV2.countDown(); // it found V2 done: let the first record it
                          throw e;
                        }
                      },
                      database),
              sinks);
      List<Integer> a = first.get(120, java.util.concurrent.TimeUnit.SECONDS);
      List<Integer> b = second.get(120, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(secondMetV2.getCount()).as("the second sink met V2 already run").isZero();
      assertThat(a).contains(1, 2);
      assertThat(b).doesNotContain(1, 2);
      java.util.Set<Integer> all = new java.util.TreeSet<>(a);
      all.addAll(b);
      assertThat(all).hasSize(Migrations.all().size());
      assertThat(
              ch.execute(
                  "SELECT uniqExact(version) FROM "
                      + database
                      + ".schema_migrations FORMAT TabSeparated"))
          .isEqualTo(Migrations.all().size() + "\n");
      assertThat(Migrations.apply(ch::execute, database)).isEmpty();
    }
  }

  private static void await(java.util.concurrent.CountDownLatch latch) {
    try {
      if (!latch.await(60, java.util.concurrent.TimeUnit.SECONDS)) {
        throw new IllegalStateException("the second sink never met V2");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A migration found half-applied that no other sink records stops, saying what to do. */
  @Test
  void aHalfAppliedMigrationThatNoSinkRecordsStopsTheStart() {
    java.util.Set<Integer> recorded = new java.util.TreeSet<>();
    assertThatThrownBy(
            () ->
                Migrations.apply(
                    sql -> {
                      if (sql.contains("ADD COLUMN model_name")) { // V2, half done before
                        throw new IllegalStateException(
                            "Code: 44, e.displayText() = DB::Exception: Cannot add column"
                                + " model_name: column with this name already exists");
                      }
                      if (sql.startsWith("INSERT INTO kai.schema_migrations")) {
                        recorded.add(
                            Integer.parseInt(sql.replaceAll(".*VALUES \\((\\d+),.*", "$1")));
                      }
                      if (sql.startsWith("SELECT version")) {
                        return String.join("\n", recorded.stream().map(String::valueOf).toList());
                      }
                      return "";
                    },
                    "kai",
                    java.time.Duration.ofSeconds(1)))
        .hasMessageContaining("ClickHouse migration V2__gpu_samples_dcgm_fields failed")
        .hasMessageContaining("No other sink recorded this migration within 1 s")
        .hasMessageContaining("complete or undo its statements by hand");
    assertThat(recorded).containsExactly(1);
  }

  @Test
  void aFailingMigrationNamesItselfAndTheStatement() {
    assertThatThrownBy(
            () ->
                Migrations.apply(
                    sql -> {
                      if (sql.contains("gpu_samples")) {
                        throw new IllegalStateException("Code: 62. Syntax error");
                      }
                      return "";
                    },
                    "kai"))
        .hasMessageContaining("ClickHouse migration V1__gpu_samples_and_team_fleet_1m failed")
        .hasMessageContaining("CREATE TABLE IF NOT EXISTS kai.gpu_samples")
        .hasMessageContaining("Code: 62");
    assertThatThrownBy(() -> Migrations.apply(sql -> "", "kai; DROP TABLE x"))
        .hasMessageContaining("is not a valid ClickHouse identifier");
  }
}
