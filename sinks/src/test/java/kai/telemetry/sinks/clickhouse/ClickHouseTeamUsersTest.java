package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

class ClickHouseTeamUsersTest {
  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  private static String text(Document d, String path) throws Exception {
    return XPathFactory.newInstance().newXPath().evaluate(path, d);
  }

  @Test
  void eachTeamUserFiltersEveryTeamScopedTableToItsOwnRows() throws Exception {
    Document d =
        parse(
            ClickHouseTeamUsers.usersFile(
                "kai",
                List.of("lg-ai-research", "upstage"),
                t -> "<password>p-" + t + "</password>"));
    for (String team : List.of("lg-ai-research", "upstage")) {
      String user = "/yandex/users/" + ClickHouseTeamUsers.user(team);
      assertThat(text(d, user + "/profile")).isEqualTo(ClickHouseTeamUsers.PROFILE);
      assertThat(text(d, user + "/quota")).isEqualTo("kai_team");
      assertThat(text(d, user + "/allow_databases/database")).isEqualTo("kai");
      NodeList tables =
          (NodeList)
              XPathFactory.newInstance()
                  .newXPath()
                  .evaluate(user + "/databases/kai/*", d, XPathConstants.NODESET);
      List<String> filtered = new ArrayList<>();
      for (int i = 0; i < tables.getLength(); i++) {
        filtered.add(tables.item(i).getNodeName());
        assertThat(tables.item(i).getTextContent().trim()).isEqualTo("team = '" + team + "'");
      }
      assertThat(filtered).containsExactlyElementsOf(ClickHouseTeamUsers.TEAM_SCOPED);
    }
    assertThat(text(d, "/yandex/users/team_lg_ai_research/password")).isEqualTo("p-lg-ai-research");
    assertThat(text(d, "/yandex/quotas/kai_team/interval/queries")).isNotEmpty();
  }

  @Test
  void aDeploymentTakesEachTeamsPasswordFromTheEnvironment() throws Exception {
    Document d =
        parse(
            ClickHouseTeamUsers.usersFile(
                "kai", List.of("sk-telecom"), ClickHouseTeamUsers::passwordFromEnvironment));
    assertThat(text(d, "/yandex/users/team_sk_telecom/password/@from_env"))
        .isEqualTo("KAI_CLICKHOUSE_TEAM_SK_TELECOM_PASSWORD");
  }

  @Test
  void aTeamIdThatCouldBreakOutOfTheFilterIsRefused() {
    assertThatThrownBy(
            () -> ClickHouseTeamUsers.usersFile("kai><x", List.of("upstage"), t -> "<password/>"))
        .as("a database name is an XML element and part of SQL")
        .isInstanceOf(IllegalArgumentException.class);
    for (String hostile : List.of("a' OR 1=1 --", "Upstage", "", "a/b", "x".repeat(64))) {
      assertThatThrownBy(
              () -> ClickHouseTeamUsers.usersFile("kai", List.of(hostile), t -> "<password/>"))
          .as(hostile)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void rowPoliciesSayTheSameForServersManagedBySql() {
    List<String> sql =
        ClickHouseTeamUsers.rowPolicies("kai", java.util.Map.of("upstage", "team_upstage"));
    assertThat(sql).hasSize(ClickHouseTeamUsers.TEAM_SCOPED.size());
    assertThat(sql.get(0))
        .isEqualTo(
            "CREATE ROW POLICY IF NOT EXISTS kai_team_team_upstage ON kai.gpu_samples FOR SELECT"
                + " USING team = 'upstage' TO team_upstage");
  }
}
