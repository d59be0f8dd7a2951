package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.StackHome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generated team users on current ClickHouse (chDB 26.x in-process; 18.16 has no row filters):
 * the migrated schema holds rows of two teams in every table with a team column, and the users file
 * of one team, loaded as the session's user, must show that team only its own rows in every
 * team-scoped table and every view over them, both teams in program-wide results, and must refuse
 * writes and attempts to lift its limits. Every relation with a team column is checked, so a new
 * table or view without a rule fails here.
 */
class ClickHouseTeamUsersIT {
  private static final String TEAM = "upstage";
  private static final String OTHER = "lg-ai-research";

  @Test
  void aTeamUserReadsOnlyItsOwnRowsInEveryRelationAndCannotLiftItsLimits(@TempDir Path dir)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    List<String> relations;
    try (Chdb admin = Chdb.open(StackHome.locate(), data, adminConfig(dir))) {
      Migrations.apply(sql -> admin.query(sql, "TabSeparated"), "kai");
      admin.query("CREATE DATABASE other", "TabSeparated");
      admin.query(
          "CREATE TABLE other.secret (x Int8) ENGINE = MergeTree ORDER BY x", "TabSeparated");
      relations =
          admin
              .query(
                  "SELECT c.table, t.engine FROM system.columns c JOIN system.tables t"
                      + " ON c.database = t.database AND c.table = t.name"
                      + " WHERE c.database = 'kai' AND c.name = 'team' ORDER BY c.table",
                  "TabSeparated")
              .lines()
              .toList();
      for (String r : relations) {
        String[] f = r.split("\t");
        if (!f[1].equals("View") && !f[1].equals("MaterializedView")) {
          admin.query(
              "INSERT INTO kai." + f[0] + " (team) VALUES ('" + TEAM + "'), ('" + OTHER + "')",
              "TabSeparated");
        }
      }
      // Without a filter every relation shows both teams: the checks below can fail.
      for (String r : relations) {
        String table = r.split("\t")[0];
        assertThat(admin.query(distinctTeams(table), "TabSeparated"))
            .as(table)
            .isEqualTo(OTHER + "\n" + TEAM + "\n");
      }
    }
    List<String> unclassified = new ArrayList<>();
    try (Chdb team = Chdb.open(StackHome.locate(), data, teamConfig(dir))) {
      for (String r : relations) {
        String table = r.split("\t")[0];
        String seen = team.query(distinctTeams(table), "TabSeparated");
        if (ClickHouseTeamUsers.PROGRAM_WIDE.contains(table.replaceFirst("^v_", ""))) {
          assertThat(seen).as("program-wide %s", table).isEqualTo(OTHER + "\n" + TEAM + "\n");
        } else if (!seen.equals(TEAM + "\n")) {
          unclassified.add(table + " shows " + seen.strip().replace('\n', ','));
        }
      }
      assertThat(unclassified).as("relations showing a team another team's rows").isEmpty();
      // Read-only, and no way around the filter or the limits.
      assertThatThrownBy(
              () ->
                  team.query(
                      "INSERT INTO kai.gpu_samples (team) VALUES ('" + TEAM + "')", "TabSeparated"))
          .hasMessageContaining("readonly");
      assertThatThrownBy(() -> team.query("SET readonly = 0", "TabSeparated"))
          .hasMessageContaining("readonly");
      assertThatThrownBy(() -> team.query("SET max_memory_usage = 100000000000", "TabSeparated"))
          .hasMessageContaining("max_memory_usage");
      assertThat(
              team.query(
                  "SELECT DISTINCT team FROM merge('kai', '^gpu_samples$')"
                      + " SETTINGS additional_table_filters = {'kai.gpu_samples': '1'}",
                  "TabSeparated"))
          .isEqualTo(TEAM + "\n");
      assertThatThrownBy(() -> team.query("SELECT count() FROM other.secret", "TabSeparated"))
          .as("other databases are closed")
          .hasMessageContaining("ACCESS_DENIED");
    }
  }

  private static String distinctTeams(String table) {
    return "SELECT DISTINCT team FROM kai." + table + " ORDER BY team";
  }

  /** A session whose user may do everything (the migrations and the test data). */
  private static Path adminConfig(Path dir) throws Exception {
    Path conf = Files.createDirectories(dir.resolve("admin"));
    Files.writeString(
        conf.resolve("users.xml"),
        """
        <clickhouse>
          <profiles><default/></profiles>
          <quotas><default/></quotas>
          <users><default><password/><networks><ip>::/0</ip></networks>
            <profile>default</profile><quota>default</quota></default></users>
        </clickhouse>
        """);
    return config(conf);
  }

  /**
   * A session whose user is the generated team user: an in-process session always runs as {@code
   * default}, so the team's definition is loaded under that name, unchanged otherwise.
   */
  private static Path teamConfig(Path dir) throws Exception {
    Path conf = Files.createDirectories(dir.resolve("team"));
    String user = ClickHouseTeamUsers.user(TEAM);
    String file =
        ClickHouseTeamUsers.usersFile("kai", List.of(TEAM), t -> "<password/>")
            .replace("<" + user + ">", "<default>")
            .replace("</" + user + ">", "</default>");
    assertThat(file).contains("<default>").doesNotContain(user);
    // The server's users.xml (default profile and quota); the team file merged from users.d.
    Files.writeString(
        conf.resolve("users.xml"),
        "<clickhouse><profiles><default/></profiles><quotas><default/></quotas></clickhouse>");
    Files.writeString(
        Files.createDirectories(conf.resolve("users.d")).resolve("kai-team-users.xml"), file);
    return config(conf);
  }

  private static Path config(Path conf) throws Exception {
    return Files.writeString(
        conf.resolve("config.xml"),
        "<clickhouse><users_config>"
            + conf.resolve("users.xml").toAbsolutePath()
            + "</users_config></clickhouse>");
  }
}
