package kai.telemetry.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import kai.telemetry.dashboards.GrafanaSchemaCheck.Problem;
import org.junit.jupiter.api.Test;

/**
 * Every dashboard against Grafana's own dashboard schema, from @grafana/schema at the version of
 * the Grafana that docker-compose.yml runs: what Grafana would drop or misread, such as a misspelt
 * key, a value of the wrong type or a panel without its height, fails here rather than in a
 * browser.
 */
class DashboardSchemaTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void everyDashboardFollowsGrafanasSchema() throws IOException {
    Map<String, String> dashboards = new LinkedHashMap<>();
    for (Path file : Dashboards.files()) {
      dashboards.put(file.getFileName().toString(), Files.readString(file));
    }
    assertThat(dashboards).isNotEmpty();

    List<Problem> problems = GrafanaSchemaCheck.check("dashboards", dashboards);

    assertThat(problems)
        .withFailMessage(
            "dashboards/grafana/dashboards/ against Grafana's dashboard schema"
                + " (dashboards/schema-check/dashboard-schema.ts):%n%s",
            problems.stream().map(Problem::toString).collect(Collectors.joining("\n")))
        .isEmpty();
  }

  @Test
  void theCheckFindsWhatTheSchemaForbids() throws IOException {
    String base = Files.readString(Dashboards.DIR.resolve("dashboards/gpu-fleet.json"));
    // One fault per dashboard: the compiler may hold back an object's other faults.
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("unknown-key.json", edit(base, d -> d.put("refreshInterval", "1m")));
    cases.put("refresh-number.json", edit(base, d -> d.put("refresh", 5)));
    cases.put(
        "no-height.json", edit(base, d -> panel(d, 2).withObjectProperty("gridPos").remove("h")));
    cases.put(
        "threshold-mode.json", edit(base, d -> thresholds(panel(d, 0)).put("mode", "absolut")));
    cases.put("no-schema-version.json", edit(base, d -> d.remove("schemaVersion")));
    // definition is allowed on template variables only.
    cases.put("panel-definition.json", edit(base, d -> panel(d, 0).put("definition", "x")));
    cases.put("valid.json", edit(base, DashboardSchemaTest::useEnumsAndUnions));

    Map<String, List<Problem>> found =
        GrafanaSchemaCheck.check("faults", cases).stream()
            .collect(Collectors.groupingBy(Problem::dashboard));

    String unknown = cases.get("unknown-key.json");
    String line = unknown.lines().filter(l -> l.contains("\"refreshInterval\"")).findFirst().get();
    assertThat(found.get("unknown-key.json"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.path()).isEqualTo("/refreshInterval");
              assertThat(p.line()).isEqualTo(unknown.lines().toList().indexOf(line) + 1);
              assertThat(p.column()).isEqualTo(line.indexOf('"') + 1);
              assertThat(p.message()).contains("'\"refreshInterval\"' does not exist in type");
            });
    assertProblem(found, "refresh-number.json", "/refresh", "not assignable to type 'string'");
    assertProblem(found, "no-height.json", "/panels/2/gridPos", "Property 'h' is missing");
    assertProblem(
        found,
        "threshold-mode.json",
        "/panels/0/fieldConfig/defaults/thresholds/mode",
        "'\"absolut\"' is not assignable to type '\"absolute\" | \"percentage\"'");
    assertProblem(
        found, "no-schema-version.json", "(top level)", "Property 'schemaVersion' is missing");
    assertProblem(
        found, "panel-definition.json", "/panels/0/definition", "'\"definition\"' does not exist");
    assertThat(found.get("valid.json")).as("valid.json").isNull();
    assertThat(found.keySet()).hasSize(cases.size() - 1);
  }

  /** Enum values spelt as JSON strings, and every kind of value mapping, in a valid dashboard. */
  private static void useEnumsAndUnions(ObjectNode d) {
    d.put("graphTooltip", 1);
    ObjectNode defaults =
        panel(d, 0).withObjectProperty("fieldConfig").withObjectProperty("defaults");
    defaults.putObject("color").put("mode", "palette-classic").put("seriesBy", "last");
    thresholds(panel(d, 0)).put("mode", "percentage");
    ArrayNode mappings = defaults.putArray("mappings");
    mappings.addObject().put("type", "value").putObject("options").putObject("1").put("text", "on");
    ObjectNode range = mappings.addObject().put("type", "range").putObject("options");
    range.put("from", 0).putNull("to").putObject("result").put("color", "red");
    ObjectNode special = mappings.addObject().put("type", "special").putObject("options");
    special.put("match", "null+nan").putObject("result").put("text", "-");
    ObjectNode row = ((ArrayNode) d.get("panels")).addObject();
    row.put("type", "row").put("id", 99).put("collapsed", true).putArray("panels");
    row.putObject("gridPos").put("x", 0).put("y", 99).put("w", 24).put("h", 1);
  }

  private static void assertProblem(
      Map<String, List<Problem>> found, String dashboard, String path, String message) {
    assertThat(found.get(dashboard))
        .as(dashboard)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.path()).isEqualTo(path);
              assertThat(p.message()).contains(message);
            });
  }

  private static ObjectNode panel(ObjectNode d, int index) {
    return (ObjectNode) d.get("panels").get(index);
  }

  private static ObjectNode thresholds(ObjectNode panel) {
    ObjectNode defaults = panel.withObjectProperty("fieldConfig").withObjectProperty("defaults");
    ObjectNode t = defaults.putObject("thresholds").put("mode", "absolute");
    t.putArray("steps").addObject().put("color", "green").putNull("value");
    return t;
  }

  private static String edit(String json, Consumer<ObjectNode> change) throws IOException {
    ObjectNode d = (ObjectNode) JSON.readTree(json);
    change.accept(d);
    return d.toPrettyString();
  }
}
