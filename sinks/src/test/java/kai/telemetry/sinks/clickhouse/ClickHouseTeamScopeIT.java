package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every relation of the migrated schema with team data is classified for the team users: filtered
 * to the team, program-wide, or a view over those. A new table with a team column that is neither
 * fails here, before it can show one team's rows to another.
 */
@ExtendWith(RealStackExtension.class)
class ClickHouseTeamScopeIT {
  private final TestNamespace ns = TestNamespace.of(ClickHouseTeamScopeIT.class);

  @Test
  void everyRelationWithTeamDataIsFilteredOrProgramWide(LocalStack stack) {
    try (ClickHouseHttp admin = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Migrations.apply(admin::execute, ns.database());
      List<String> unclassified = new ArrayList<>();
      List<String> filtered = new ArrayList<>();
      for (JsonNode r :
          admin.rows(
              "SELECT table FROM system.columns WHERE database = '"
                  + ns.database()
                  + "' AND name = 'team' ORDER BY table")) {
        String table = r.get("table").asText();
        String base = table.replaceFirst("^v_", "");
        if (ClickHouseTeamUsers.TEAM_SCOPED.contains(table)) {
          filtered.add(table);
        } else if (!ClickHouseTeamUsers.PROGRAM_WIDE.contains(base)
            && !(table.startsWith("v_") && viewOverFilteredTables(table))) {
          unclassified.add(table);
        }
      }
      assertThat(unclassified).as("relations with team data and no rule for team users").isEmpty();
      // Every filtered name exists (a renamed table would silently lose its filter).
      assertThat(filtered).containsExactlyInAnyOrderElementsOf(ClickHouseTeamUsers.TEAM_SCOPED);
    }
  }

  /** The analyst views whose rows come from team-scoped tables (their filters apply to them). */
  private static boolean viewOverFilteredTables(String view) {
    return List.of(
            "v_alerts",
            "v_benchmark_results",
            "v_cluster_fleet_1m",
            "v_derivative_models",
            "v_run_1m",
            "v_run_status",
            "v_team_fleet_1m",
            "v_training_curves",
            "v_training_steps")
        .contains(view);
  }
}
