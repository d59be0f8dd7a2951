package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import kai.telemetry.stack.Chdb;
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
  private final TestNamespace ns = TestNamespace.of(ClickHouseSchemaIT.class);

  @Test
  void migrationsApplyOnceAndAreRecordedOnTheServer(LocalStack stack) {
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      assertThat(Migrations.apply(ch::execute, ns.database()))
          .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
      assertThat(Migrations.apply(ch::execute, ns.database())).isEmpty();
      assertThat(
              ch.execute(
                  "SELECT version, name FROM "
                      + ns.database()
                      + ".schema_migrations ORDER BY version FORMAT TabSeparated"))
          .isEqualTo(
              "1\tgpu_samples_and_team_fleet_1m\n2\tgpu_samples_dcgm_fields\n3\trun_1m\n4\tprogram_kpis\n5\tteam_fleet_1m_v2\n6\talerts\n7\tcluster_fleet_1m\n8\traw_events_and_reference\n");
      assertThat(
              ch.execute(
                  "SELECT name FROM system.tables WHERE database = '"
                      + ns.database()
                      + "' ORDER BY name FORMAT TabSeparated"))
          .isEqualTo(
              "alerts\nbenchmark_results\nbenchmark_standings\nbenchmarks\ncluster_fleet_1m\ncollector_rejects\nderivative_models\nevaluation_rules\nevaluation_scores\ngpu_samples\nphase_scoreboard\nrun_1m\nrun_lifecycle\nschema_migrations\nteam_fleet_1m\nteams\ntraining_steps\n");
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
    }
  }

  @Test
  void migrationsRunOnCurrentClickHouse(@TempDir Path dir) {
    try (Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      assertThat(Migrations.apply(sql -> chdb.query(sql, "TabSeparated"), "kai"))
          .containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
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
    }
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
