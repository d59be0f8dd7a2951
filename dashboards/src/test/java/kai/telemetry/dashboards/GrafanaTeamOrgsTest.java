package kai.telemetry.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * provision-grafana against the part of Grafana's HTTP API it uses (organizations, datasources by
 * uid, dashboard import, each in the organization named by X-Grafana-Org-Id), served here as
 * Grafana documents it. No Grafana server runs in this build: this checks the requests and their
 * idempotence, not a real Grafana.
 */
class GrafanaTeamOrgsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private HttpServer server;
  private final Map<String, Long> orgs = new LinkedHashMap<>();
  private final Map<Long, JsonNode> datasources = new HashMap<>();
  private final Map<Long, Map<String, JsonNode>> dashboards = new HashMap<>();
  private final List<String> requests = new ArrayList<>();

  @BeforeEach
  void grafana() throws IOException {
    orgs.put("Main Org.", 1L);
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange x) throws IOException {
    String path = x.getRequestURI().getRawPath();
    String method = x.getRequestMethod();
    String org = x.getRequestHeaders().getFirst("X-Grafana-Org-Id");
    requests.add(method + " " + path + (org == null ? "" : " org " + org));
    String expected =
        "Basic "
            + Base64.getEncoder().encodeToString("admin:s3cret".getBytes(StandardCharsets.UTF_8));
    if (!expected.equals(x.getRequestHeaders().getFirst("Authorization"))) {
      reply(x, 401, "{\"message\":\"Invalid username or password\"}");
      return;
    }
    JsonNode body = x.getRequestBody().available() >= 0 ? readBody(x) : null;
    long orgId = org == null ? 1 : Long.parseLong(org);
    if (method.equals("GET") && path.startsWith("/api/orgs/name/")) {
      String name =
          URLDecoder.decode(path.substring("/api/orgs/name/".length()), StandardCharsets.UTF_8);
      Long id = orgs.get(name);
      reply(
          x,
          id == null ? 404 : 200,
          id == null
              ? "{\"message\":\"Organization not found\"}"
              : "{\"id\":" + id + ",\"name\":\"" + name + "\"}");
    } else if (method.equals("POST") && path.equals("/api/orgs")) {
      long id = orgs.size() + 1L;
      orgs.put(body.get("name").asText(), id);
      reply(x, 200, "{\"message\":\"Organization created\",\"orgId\":" + id + "}");
    } else if (path.equals("/api/datasources/uid/kai-clickhouse") && method.equals("GET")) {
      JsonNode ds = datasources.get(orgId);
      reply(
          x,
          ds == null ? 404 : 200,
          ds == null ? "{\"message\":\"Data source not found\"}" : ds.toString());
    } else if (path.equals("/api/datasources") && method.equals("POST")) {
      datasources.put(orgId, body);
      reply(x, 200, "{\"message\":\"Datasource added\",\"id\":1}");
    } else if (path.equals("/api/datasources/uid/kai-clickhouse") && method.equals("PUT")) {
      datasources.put(orgId, body);
      reply(x, 200, "{\"message\":\"Datasource updated\"}");
    } else if (path.equals("/api/dashboards/db") && method.equals("POST")) {
      JsonNode d = body.get("dashboard");
      dashboards.computeIfAbsent(orgId, k -> new HashMap<>()).put(d.get("uid").asText(), d);
      reply(x, 200, "{\"status\":\"success\",\"uid\":\"" + d.get("uid").asText() + "\"}");
    } else {
      reply(x, 404, "{\"message\":\"Not found\"}");
    }
  }

  private static JsonNode readBody(HttpExchange x) throws IOException {
    byte[] b = x.getRequestBody().readAllBytes();
    return b.length == 0 ? null : JSON.readTree(b);
  }

  private static void reply(HttpExchange x, int status, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    x.getResponseHeaders().add("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
    x.close();
  }

  private GrafanaTeamOrgs provisioner(String password) {
    return new GrafanaTeamOrgs(
        new GrafanaTeamOrgs.Settings(
            URI.create(
                "http://"
                    + server.getAddress().getHostString()
                    + ":"
                    + server.getAddress().getPort()),
            "admin",
            password,
            "clickhouse",
            9000,
            "kai"),
        team -> "pw-" + team);
  }

  @Test
  void eachTeamGetsItsOwnOrganizationReadingAsItsClickHouseUserAndARerunDuplicatesNothing()
      throws Exception {
    GrafanaTeamOrgs.Outcome first = provisioner("s3cret").provision(List.of("upstage", "nc-ai"));
    assertThat(first.created()).containsExactly("kai team upstage", "kai team nc-ai");
    assertThat(orgs).containsEntry("kai team upstage", 2L).containsEntry("kai team nc-ai", 3L);
    JsonNode upstage = datasources.get(2L);
    assertThat(upstage.at("/jsonData/username").asText()).isEqualTo("team_upstage");
    assertThat(upstage.at("/secureJsonData/password").asText()).isEqualTo("pw-upstage");
    assertThat(upstage.get("uid").asText()).isEqualTo(GrafanaTeamOrgs.DATASOURCE_UID);
    assertThat(datasources.get(3L).at("/jsonData/username").asText()).isEqualTo("team_nc_ai");
    assertThat(datasources).doesNotContainKey(1L); // the ministry's organization is left alone
    assertThat(dashboards.get(2L)).hasSize(GrafanaTeamOrgs.DASHBOARDS.size());
    assertThat(dashboards.get(2L).values())
        .allSatisfy(d -> assertThat(d.get("id").isNull()).isTrue());

    GrafanaTeamOrgs.Outcome again =
        provisioner("s3cret").provision(List.of("upstage", "nc-ai", "lg-ai-research"));
    assertThat(again.created()).containsExactly("kai team lg-ai-research");
    assertThat(again.updated()).containsExactly("kai team upstage", "kai team nc-ai");
    assertThat(orgs).hasSize(4);
    assertThat(requests).contains("PUT /api/datasources/uid/kai-clickhouse org 2");
    assertThat(requests).filteredOn(r -> r.equals("POST /api/orgs")).hasSize(3);
  }

  @Test
  void aWrongAdminPasswordOrAMissingTeamPasswordStopsWithTheReason() {
    assertThatThrownBy(() -> provisioner("wrong").provision(List.of("upstage")))
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("server admin");
    GrafanaTeamOrgs noPassword =
        new GrafanaTeamOrgs(
            new GrafanaTeamOrgs.Settings(
                URI.create("http://localhost:1"), "admin", "x", "ch", 9000, "kai"),
            team -> null);
    assertThatThrownBy(() -> noPassword.provision(List.of("upstage")))
        .hasMessageContaining("KAI_CLICKHOUSE_TEAM_UPSTAGE_PASSWORD");
    assertThatThrownBy(() -> GrafanaTeamOrgs.orgName("Upstage' OR 1=1"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
