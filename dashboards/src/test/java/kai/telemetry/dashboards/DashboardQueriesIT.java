package kai.telemetry.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import kai.telemetry.sinks.clickhouse.Migrations;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.StackHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every panel's SQL, macros expanded, run on current ClickHouse (chDB) over the real schema. */
class DashboardQueriesIT {
  private static final long T0 = 1_768_467_600_000L; // 2026-01-15T09:00:00Z

  @Test
  void everyPanelQueryRunsAndReturnsItsColumns(@TempDir Path dir) throws Exception {
    try (Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      Migrations.apply(sql -> chdb.query(sql, "TabSeparated"), "kai");
      chdb.query(
          "INSERT INTO kai.team_fleet_1m (team, window_start_ms, window_end_ms, gpus_reporting,"
              + " samples, utilization_mean_pct, version) VALUES"
              + " ('upstage', "
              + T0
              + ", "
              + (T0 + 60_000)
              + ", 8, 16, 91.5, 16), ('nc-ai', "
              + T0
              + ", "
              + (T0 + 60_000)
              + ", 4, 8, 12.5, 8)",
          "TabSeparated");
      chdb.query(
          "INSERT INTO kai.gpu_samples (team, cluster, node, gpu_uuid, gpu_index, ts_ms,"
              + " utilization_pct) VALUES ('upstage', 'c', 'n', 'g', 0, "
              + (T0 + 5_000)
              + ", 90)",
          "TabSeparated");
      Map<String, List<String>> vars = Map.of("team", List.of("upstage", "nc-ai"));
      ObjectMapper json = new ObjectMapper();
      int checked = 0;
      for (Path file : Dashboards.files()) {
        JsonNode d = Dashboards.read(file);
        for (JsonNode v : d.path("templating").path("list")) {
          String values = chdb.query(v.get("query").asText(), "TabSeparated");
          assertThat(values)
              .as("variable %s", v.get("name").asText())
              .isEqualTo("nc-ai\nupstage\n");
        }
        for (JsonNode p : Dashboards.panels(d)) {
          for (JsonNode t : p.path("targets")) {
            String sql =
                GrafanaSql.expand(t.get("rawSql").asText(), T0 - 3_600_000, T0 + 3_600_000, vars);
            String out = chdb.query(sql, "JSONCompactEachRowWithNames");
            String[] lines = out.split("\n");
            assertThat(lines.length).as("rows of %s", p.get("title").asText()).isGreaterThan(1);
            JsonNode names = json.readTree(lines[0]);
            if (t.path("queryType").asText().equals("timeseries")) {
              assertThat(names.get(0).asText())
                  .as("time first in %s", p.get("title").asText())
                  .isEqualTo("time");
            }
            checked++;
          }
        }
      }
      assertThat(checked).isEqualTo(4);
    }
  }
}
