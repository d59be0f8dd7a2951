package kai.telemetry.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The dashboards and provisioning files as shipped under dashboards/grafana. */
public final class Dashboards {
  /** dashboards/grafana, from the module, from a sibling module, or as kai.grafana.dir says. */
  public static final Path DIR =
      Path.of(
          System.getProperty(
              "kai.grafana.dir",
              Files.isDirectory(Path.of("grafana")) ? "grafana" : "../dashboards/grafana"));

  private Dashboards() {}

  public static List<Path> files() {
    try (Stream<Path> s = Files.list(DIR.resolve("dashboards"))) {
      return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static JsonNode read(Path file) {
    try {
      return new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("invalid JSON in " + file + ": " + e.getMessage(), e);
    }
  }

  public static JsonNode datasources() {
    try {
      return new YAMLMapper()
          .readTree(DIR.resolve("provisioning/datasources/clickhouse.yaml").toFile())
          .get("datasources");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every panel, nested rows included. */
  public static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      out.add(p);
      p.path("panels").forEach(out::add);
    }
    return out;
  }
}
