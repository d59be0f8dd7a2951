package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.dashboards.Dashboards;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.StackImages;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/** docker-compose.yml agrees with the code: topics, users, ports, settings, mounted files. */
class ComposeFileTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern CREATE =
      Pattern.compile("^\\s*create (\\S+) (\\d+) (\\w+)$", Pattern.MULTILINE);

  private final JsonNode services = compose().get("services");

  @Test
  void topicsAreTheCataloguesWithTheirPartitionsAndPolicies() {
    Set<String> expected = new TreeSet<>();
    for (Topic<?, ?> t : Topics.withPrefix("").all()) {
      NewTopic n = t.newTopic((short) 1);
      expected.add(n.name() + " " + n.numPartitions() + " " + n.configs().get("cleanup.policy"));
    }
    Set<String> created = new TreeSet<>();
    Matcher m = CREATE.matcher(services.get("topics").get("command").get(0).asText());
    while (m.find()) {
      created.add(m.group(1) + " " + m.group(2) + " " + m.group(3));
    }
    assertThat(created).isEqualTo(expected);
  }

  @Test
  void imagesAreTheOnesTheContainerStackTests() {
    assertThat(services.get("kafka").get("image").asText()).isEqualTo(StackImages.KAFKA);
    assertThat(services.get("topics").get("image").asText()).isEqualTo(StackImages.KAFKA);
    assertThat(services.get("schema-registry").get("image").asText())
        .isEqualTo(StackImages.SCHEMA_REGISTRY);
    assertThat(services.get("clickhouse").get("image").asText()).isEqualTo(StackImages.CLICKHOUSE);
    assertThat(services.get("grafana").get("image").asText()).isEqualTo(StackImages.GRAFANA);
  }

  @Test
  void imagesArePinnedAndDependenciesWaitForHealth() {
    services
        .fields()
        .forEachRemaining(
            s -> {
              String image = s.getValue().get("image").asText();
              assertThat(image).as(s.getKey()).matches("[^:]+:v?[0-9][^:]*");
              s.getValue()
                  .path("depends_on")
                  .fields()
                  .forEachRemaining(
                      d -> {
                        String condition = d.getValue().get("condition").asText();
                        if (condition.equals("service_healthy")) {
                          assertThat(services.get(d.getKey()).has("healthcheck"))
                              .as("%s waits for %s's health", s.getKey(), d.getKey())
                              .isTrue();
                        } else {
                          assertThat(condition).isEqualTo("service_completed_successfully");
                        }
                      });
            });
  }

  @Test
  void clickHouseAndGrafanaUseTheProductsUsersAndFiles() throws Exception {
    String usersMount = services.get("clickhouse").get("volumes").get(1).asText();
    String usersFile = "./deploy/clickhouse/users.d/kai-users.xml";
    assertThat(usersMount).startsWith(usersFile + ":/etc/clickhouse-server/users.d/");
    // The deployment's users are the local stack's, with every password from the environment.
    String deployed = Files.readString(ROOT.resolve(usersFile));
    String local =
        Files.readString(
            ROOT.resolve("local-stack/src/main/resources" + ClickHouseUser.USERS_FILE));
    assertThat(withoutPasswordsAndComments(deployed)).isEqualTo(withoutPasswordsAndComments(local));
    Matcher passwords = Pattern.compile("<password[^>]*>").matcher(deployed);
    int n = 0;
    while (passwords.find()) {
      assertThat(passwords.group())
          .matches("<password from_env=\"KAI_CLICKHOUSE_[A-Z]+_PASSWORD\"/>");
      n++;
    }
    assertThat(n).isEqualTo(ClickHouseUser.values().length);

    JsonNode grafana = services.get("grafana");
    assertThat(grafana.get("environment").get("KAI_CLICKHOUSE_GRAFANA_PASSWORD").asText())
        .startsWith("${KAI_CLICKHOUSE_GRAFANA_PASSWORD:?");
    assertThat(grafana.get("environment").get("GF_INSTALL_PLUGINS").asText())
        .startsWith("grafana-clickhouse-datasource ");
    JsonNode datasource = Dashboards.datasources().get(0).get("jsonData");
    assertThat(datasource.get("username").asText()).isEqualTo(ClickHouseUser.GRAFANA.user());
    assertThat(datasource.get("defaultDatabase").asText()).isEqualTo(ClickHouseUser.DATABASE);
    String provider =
        new YAMLMapper()
            .readTree(Dashboards.DIR.resolve("provisioning/dashboards/kai.yaml").toFile())
            .get("providers")
            .get(0)
            .get("options")
            .get("path")
            .asText();
    Set<String> mounts = new HashSet<>();
    grafana.get("volumes").forEach(v -> mounts.add(v.asText()));
    assertThat(mounts)
        .contains(
            "./dashboards/grafana/provisioning:/etc/grafana/provisioning:ro",
            "./dashboards/grafana/dashboards:" + provider + ":ro");
  }

  @Test
  void projectServicesRunKnownCommandsWithKnownSettings() throws Exception {
    String kai = Files.readString(ROOT.resolve("distribution/src/bin/kai"));
    Map<String, ConfigDef> settings =
        Map.of(
            "simulate", SimulatorConfig.DEF,
            "fleet-kpi-job", KpiStreamsConfig.DEF,
            "training-kpi-job", KpiStreamsConfig.DEF,
            "scoreboard-job", KpiStreamsConfig.DEF,
            "alerts-job", KpiStreamsConfig.DEF,
            "clickhouse-sink", SinkConfig.DEF);
    Set<String> commands = new TreeSet<>();
    services
        .fields()
        .forEachRemaining(
            s -> {
              if (!s.getValue().has("build")) {
                return;
              }
              String command = s.getValue().get("command").get(0).asText();
              commands.add(command);
              // One name per deployable: the service is named as the launcher's command, except
              // the simulator, whose command is a verb.
              if (!command.equals("simulate")) {
                assertThat(s.getKey()).isEqualTo(command);
              }
              // Demo data never starts with the production services.
              assertThat(s.getValue().has("profiles"))
                  .as("%s has a profile", s.getKey())
                  .isEqualTo(command.equals("simulate"));
              if (command.equals("simulate")) {
                assertThat(s.getValue().get("profiles").get(0).asText()).isEqualTo("demo");
              }
              assertThat(kai).contains("  " + command + ") main=");
              Set<String> known =
                  settings.get(command).names().stream()
                      .map(ConfigLoader::envName)
                      .collect(Collectors.toSet());
              s.getValue()
                  .get("environment")
                  .fieldNames()
                  .forEachRemaining(
                      e -> assertThat(known).as("%s of %s", e, s.getKey()).contains(e));
              assertThat(s.getValue().get("environment").get("KAI_BOOTSTRAP_SERVERS").asText())
                  .isEqualTo("kafka:9092");
            });
    assertThat(commands).isEqualTo(settings.keySet().stream().collect(Collectors.toSet()));

    JsonNode sink = services.get("clickhouse-sink").get("environment");
    assertThat(sink.get("KAI_CLICKHOUSE_USER").asText()).isEqualTo(ClickHouseUser.SINK.user());
    assertThat(sink.get("KAI_CLICKHOUSE_PASSWORD").asText())
        .startsWith("${KAI_CLICKHOUSE_SINK_PASSWORD:?");
    assertThat(sink.get("KAI_CLICKHOUSE_DATABASE").asText()).isEqualTo(ClickHouseUser.DATABASE);
    Object metricsPort = SinkConfig.DEF.defaultValues().get(SinkConfig.METRICS_PORT);
    assertThat(sink.get("KAI_SINK_METRICS_PORT").asText()).isEqualTo(metricsPort.toString());
    assertThat(services.get("clickhouse-sink").get("ports").get(0).asText())
        .isEqualTo(metricsPort + ":" + metricsPort);
    // Prometheus scrapes the sink where it serves.
    String prometheusFile = "./dashboards/prometheus/prometheus.yml";
    assertThat(services.get("prometheus").get("volumes").get(0).asText())
        .startsWith(prometheusFile + ":/etc/prometheus/prometheus.yml");
    JsonNode scrape =
        new YAMLMapper().readTree(ROOT.resolve(prometheusFile).toFile()).get("scrape_configs");
    assertThat(scrape.get(0).get("static_configs").get(0).get("targets").get(0).asText())
        .isEqualTo("clickhouse-sink:" + metricsPort);
  }

  @Test
  void noSecretIsWrittenInTheComposeFileAndEachIsDocumented() throws Exception {
    String example = Files.readString(ROOT.resolve(".env.example"));
    Pattern required = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?[^}]+}");
    Set<String> referenced = new TreeSet<>();
    services
        .fields()
        .forEachRemaining(
            service -> {
              JsonNode env = service.getValue().get("environment");
              if (env == null) {
                return;
              }
              env.fields()
                  .forEachRemaining(
                      e -> {
                        if (e.getKey().matches(".*(PASSWORD|SECRET|TOKEN).*")) {
                          Matcher m = required.matcher(e.getValue().asText());
                          assertThat(m.matches())
                              .as(
                                  "%s of %s must be a required ${VAR:?...}",
                                  e.getKey(), service.getKey())
                              .isTrue();
                          referenced.add(m.group(1));
                        }
                      });
            });
    assertThat(referenced).isNotEmpty();
    for (String variable : referenced) {
      assertThat(example)
          .as(".env.example documents " + variable)
          .containsPattern("(?m)^" + variable + "=");
    }
    assertThat(Files.readString(ROOT.resolve(".gitignore"))).containsPattern("(?m)^\\.env$");
  }

  private static String withoutPasswordsAndComments(String xml) {
    return xml.replaceAll("(?s)<!--.*?-->", "")
        .replaceAll("<password[^>]*/>|<password>[^<]*</password>", "<password/>")
        .strip();
  }

  private static JsonNode compose() {
    try {
      return new YAMLMapper().readTree(ROOT.resolve("docker-compose.yml").toFile());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
