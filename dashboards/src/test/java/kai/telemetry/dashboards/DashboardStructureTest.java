package kai.telemetry.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DashboardStructureTest {

  @Test
  void dashboardsAreWellFormedAndReferToTheProvisionedDatasource() {
    List<Path> files = Dashboards.files();
    assertThat(files)
        .extracting(f -> f.getFileName().toString())
        .containsExactly(
            "benchmarks.json", "gpu-fleet.json", "program-overview.json", "training-curves.json");
    Set<String> provisionedUids = new HashSet<>();
    for (JsonNode ds : Dashboards.datasources()) {
      assertThat(ds.get("type").asText()).isEqualTo("grafana-clickhouse-datasource");
      provisionedUids.add(ds.get("uid").asText());
    }
    Set<String> dashboardUids = new HashSet<>();
    for (Path file : files) {
      JsonNode d = Dashboards.read(file);
      assertThat(dashboardUids.add(d.get("uid").asText())).as("unique uid in %s", file).isTrue();
      Set<String> defined = new HashSet<>();
      for (JsonNode v : d.path("templating").path("list")) {
        if (v.get("type").asText().equals("query")) {
          assertThat(provisionedUids).contains(v.path("datasource").path("uid").asText());
          // A variable's query may use only the variables defined before it.
          assertThat(defined)
              .as("variables before $%s in %s", v.get("name").asText(), file)
              .containsAll(GrafanaSql.variablesUsed(v.get("query").asText()));
        } else {
          assertThat(v.get("type").asText()).isEqualTo("custom");
          assertThat(v.path("options")).as("options of $%s", v.get("name").asText()).isNotEmpty();
        }
        defined.add(v.get("name").asText());
      }
      Set<Integer> ids = new HashSet<>();
      boolean[][] grid = new boolean[200][24];
      for (JsonNode p : Dashboards.panels(d)) {
        String where = file.getFileName() + " panel " + p.path("title").asText();
        assertThat(ids.add(p.get("id").asInt())).as("unique id: %s", where).isTrue();
        assertThat(provisionedUids).as(where).contains(p.path("datasource").path("uid").asText());
        JsonNode pos = p.get("gridPos");
        int x = pos.get("x").asInt(),
            y = pos.get("y").asInt(),
            w = pos.get("w").asInt(),
            h = pos.get("h").asInt();
        assertThat(x).as(where).isBetween(0, 23);
        assertThat(x + w).as(where).isBetween(1, 24);
        assertThat(h).as(where).isPositive();
        for (int r = y; r < y + h; r++) {
          for (int c = x; c < x + w; c++) {
            assertThat(grid[r][c]).as("%s overlaps another panel at %d,%d", where, c, r).isFalse();
            grid[r][c] = true;
          }
        }
        assertThat(p.path("targets")).as(where).isNotEmpty();
        for (JsonNode t : p.path("targets")) {
          String sql = t.path("rawSql").asText();
          assertThat(sql).as(where).isNotBlank();
          assertThat(provisionedUids).as(where).contains(t.path("datasource").path("uid").asText());
          assertThat(defined)
              .as("variables of %s", where)
              .containsAll(GrafanaSql.variablesUsed(sql));
        }
      }
    }
  }

  @Test
  void macroExpansionFollowsThePlugin() {
    String sql =
        GrafanaSql.expand(
            "SELECT 1 WHERE $__timeFilter(t) AND team IN (${team:singlequote}) AND $__timeFilter_ms(ts)",
            1_000_000,
            2_000_000,
            java.util.Map.of("team", List.of("a", "b")));
    assertThat(sql)
        .isEqualTo(
            "SELECT 1 WHERE t >= toDateTime(1000) AND t <= toDateTime(2000) AND team IN ('a','b')"
                + " AND ts >= 1000000 AND ts <= 2000000");
  }
}
