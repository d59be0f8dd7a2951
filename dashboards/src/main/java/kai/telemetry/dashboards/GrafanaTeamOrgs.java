package kai.telemetry.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import kai.telemetry.sinks.clickhouse.ClickHouseTeamUsers;

/**
 * One Grafana organization per team, whose only datasource logs in to ClickHouse as that team's
 * read user ({@code team_<id>}, rows of its own team only), with the program's dashboards; the
 * ministry's organization (the main one, provisioned from files) keeps the all-seeing {@code
 * grafana} user. Open-source Grafana cannot create organizations from provisioning files, so this
 * runs at deploy time against Grafana's HTTP API as its administrator, and again whenever a team
 * joins: it is idempotent (an organization, datasource or dashboard that exists is updated, never
 * duplicated).
 *
 * <p>The boundary is ClickHouse's row filter, not Grafana: a team member who edits a panel's SQL in
 * the team's organization still reads only the team's rows. Membership (who belongs to which
 * organization) is Grafana's: add users with its API or map them from the identity provider.
 */
public final class GrafanaTeamOrgs {
  /** The datasource's uid in every organization: the dashboards' JSON names it. */
  public static final String DATASOURCE_UID = "kai-clickhouse";

  /** The dashboards imported into each team's organization (classpath grafana/dashboards/). */
  public static final List<String> DASHBOARDS =
      List.of("program-overview.json", "gpu-fleet.json", "training-curves.json", "benchmarks.json");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where Grafana and ClickHouse are, and who logs in. */
  public record Settings(
      URI grafanaUrl,
      String adminUser,
      String adminPassword,
      String clickhouseHost,
      int clickhousePort,
      String database) {}

  /** What a run did, for its summary. */
  public record Outcome(List<String> created, List<String> updated) {}

  private final Settings settings;
  private final HttpClient http;
  private final Function<String, String> teamPassword;

  public GrafanaTeamOrgs(Settings settings, Function<String, String> teamPassword) {
    this.settings = settings;
    this.teamPassword = teamPassword;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** The organization's name for {@code team}. */
  public static String orgName(String team) {
    ClickHouseTeamUsers.user(team); // refuses an id that is not a team id
    return "kai team " + team;
  }

  /** Creates or updates each team's organization, datasource and dashboards. */
  public Outcome provision(List<String> teams) throws IOException, InterruptedException {
    List<String> created = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    for (String team : teams) {
      String name = orgName(team);
      String password = teamPassword.apply(team);
      if (password == null || password.isBlank()) {
        throw new IllegalArgumentException(
            "no ClickHouse password for team "
                + team
                + ": set "
                + ClickHouseTeamUsers.environmentVariable(team)
                + " (the same as the ClickHouse server's)");
      }
      Long orgId = existingOrg(name);
      if (orgId == null) {
        JsonNode r = call("POST", "/api/orgs", null, JSON.createObjectNode().put("name", name));
        orgId = r.path("orgId").asLong();
        if (orgId <= 0) {
          throw new IOException("Grafana created organization " + name + " without an id: " + r);
        }
        created.add(name);
      } else {
        updated.add(name);
      }
      datasource(orgId, team, password);
      for (String d : DASHBOARDS) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode dashboard = (ObjectNode) dashboard(d);
        dashboard.putNull("id"); // the uid identifies it in each organization
        body.set("dashboard", dashboard);
        body.put("overwrite", true);
        body.put("message", "provisioned by kai provision-grafana");
        call("POST", "/api/dashboards/db", orgId, body);
      }
    }
    return new Outcome(created, updated);
  }

  private Long existingOrg(String name) throws IOException, InterruptedException {
    HttpResponse<String> r =
        send(
            "GET",
            "/api/orgs/name/"
                + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"),
            null,
            null);
    if (r.statusCode() == 404) {
      return null;
    }
    return check("GET /api/orgs/name", r).path("id").asLong();
  }

  private void datasource(long orgId, String team, String password)
      throws IOException, InterruptedException {
    ObjectNode ds = JSON.createObjectNode();
    ds.put("name", DATASOURCE_UID);
    ds.put("uid", DATASOURCE_UID);
    ds.put("type", "grafana-clickhouse-datasource");
    ds.put("access", "proxy");
    ds.put("isDefault", true);
    ds.put("editable", false);
    ObjectNode jsonData = ds.putObject("jsonData");
    jsonData.put("host", settings.clickhouseHost());
    jsonData.put("port", settings.clickhousePort());
    jsonData.put("protocol", "native");
    jsonData.put("secure", false);
    jsonData.put("username", ClickHouseTeamUsers.user(team));
    jsonData.put("defaultDatabase", settings.database());
    ds.putObject("secureJsonData").put("password", password);
    HttpResponse<String> existing =
        send("GET", "/api/datasources/uid/" + DATASOURCE_UID, orgId, null);
    if (existing.statusCode() == 404) {
      call("POST", "/api/datasources", orgId, ds);
    } else {
      check("GET /api/datasources/uid", existing);
      call("PUT", "/api/datasources/uid/" + DATASOURCE_UID, orgId, ds);
    }
  }

  private static JsonNode dashboard(String name) throws IOException {
    try (InputStream in =
        GrafanaTeamOrgs.class.getResourceAsStream("/grafana/dashboards/" + name)) {
      if (in == null) {
        throw new IOException("dashboard " + name + " is not in this build");
      }
      return JSON.readTree(in);
    }
  }

  private JsonNode call(String method, String path, Long orgId, JsonNode body)
      throws IOException, InterruptedException {
    return check(method + " " + path, send(method, path, orgId, body));
  }

  private HttpResponse<String> send(String method, String path, Long orgId, JsonNode body)
      throws IOException, InterruptedException {
    String auth =
        Base64.getEncoder()
            .encodeToString(
                (settings.adminUser() + ":" + settings.adminPassword())
                    .getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(settings.grafanaUrl().resolve(path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Basic " + auth)
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    if (orgId != null) {
      b.header("X-Grafana-Org-Id", Long.toString(orgId)); // the request acts in that organization
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode check(String what, HttpResponse<String> r) throws IOException {
    if (r.statusCode() / 100 != 2) {
      String body = r.body() == null ? "" : r.body();
      throw new IOException(
          "Grafana refused "
              + what
              + ": HTTP "
              + r.statusCode()
              + " "
              + (body.length() > 300 ? body.substring(0, 300) + "..." : body)
              + (r.statusCode() == 401 || r.statusCode() == 403
                  ? " (grafana.admin.user / GRAFANA_ADMIN_PASSWORD must be a server admin's)"
                  : ""));
    }
    return r.body() == null || r.body().isBlank()
        ? JSON.createObjectNode()
        : JSON.readTree(r.body());
  }

  /**
   * {@code kai provision-grafana [grafana.url=http://localhost:3000] [grafana.admin.user=admin]
   * [clickhouse.host=clickhouse] [clickhouse.port=9000] [database=kai] TEAM...}; the admin password
   * from {@code GRAFANA_ADMIN_PASSWORD}, each team's ClickHouse password from {@code
   * KAI_CLICKHOUSE_TEAM_<ID>_PASSWORD}.
   */
  public static void main(String[] args) {
    Map<String, String> s =
        new java.util.HashMap<>(
            Map.of(
                "grafana.url", "http://localhost:3000",
                "grafana.admin.user", "admin",
                "clickhouse.host", "clickhouse",
                "clickhouse.port", "9000",
                "database", "kai"));
    List<String> teams = new ArrayList<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq > 0) {
        if (!s.containsKey(a.substring(0, eq))) {
          fail("unknown setting " + a.substring(0, eq) + " (known: " + s.keySet() + ")", 2);
        }
        s.put(a.substring(0, eq), a.substring(eq + 1));
      } else {
        teams.add(a);
      }
    }
    if (teams.isEmpty()) {
      fail(
          "usage: kai provision-grafana [grafana.url=...] [grafana.admin.user=admin]"
              + " [clickhouse.host=clickhouse] [clickhouse.port=9000] [database=kai] TEAM...",
          2);
    }
    String adminPassword = System.getenv("GRAFANA_ADMIN_PASSWORD");
    if (adminPassword == null || adminPassword.isBlank()) {
      fail("set GRAFANA_ADMIN_PASSWORD to the Grafana administrator's password", 1);
    }
    try {
      Outcome o =
          new GrafanaTeamOrgs(
                  new Settings(
                      URI.create(s.get("grafana.url")),
                      s.get("grafana.admin.user"),
                      adminPassword,
                      s.get("clickhouse.host"),
                      Integer.parseInt(s.get("clickhouse.port")),
                      s.get("database")),
                  team -> System.getenv(ClickHouseTeamUsers.environmentVariable(team)))
              .provision(teams);
      System.out.printf(
          "provision-grafana: %d team organizations (created %s, updated %s), each with datasource"
              + " %s as its team's ClickHouse user and %d dashboards%n",
          teams.size(), o.created(), o.updated(), DATASOURCE_UID, DASHBOARDS.size());
    } catch (IOException | IllegalArgumentException e) {
      fail(e.getMessage(), 1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      fail("interrupted", 1);
    }
  }

  private static void fail(String message, int status) {
    System.err.println("provision-grafana: " + message);
    System.exit(status);
  }
}
