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
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.config.ProvisionKafka;
import kai.telemetry.config.RegisterSchemas;
import kai.telemetry.dashboards.Dashboards;
import kai.telemetry.producers.program.PublishProgram;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.StackImages;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.junit.jupiter.api.Test;

/** docker-compose.yml agrees with the code: principals, users, ports, settings, mounted files. */
class ComposeFileTest {
  private static final Path ROOT = Path.of("..");
  private static final Pattern CREATE =
      Pattern.compile("^\\s*create (\\S+) (\\d+) (\\w+)$", Pattern.MULTILINE);

  private final JsonNode services = compose().get("services");

  @Test
  void everyServiceLogsInAsItsOwnPrincipalWhoseCredentialProvisionSets() {
    // The plan provision-kafka grants with compose's settings (default prefix and sink group).
    JsonNode provision = services.get("provision-kafka").get("environment");
    Map<String, java.util.List<org.apache.kafka.common.acl.AclBinding>> plan =
        new KafkaAccess(Topics.defaults()).plan("kai", "kai-clickhouse-sink", java.util.List.of());
    Set<String> principals = new TreeSet<>(plan.keySet());
    principals.add(KafkaAccess.DEMO_SIMULATOR);
    Map<String, String> passwordVariable = new java.util.HashMap<>();
    for (String principal : principals) {
      JsonNode v = provision.get(ProvisionKafka.userEnvName(principal));
      assertThat(v).as("provision-kafka sets %s's password", principal).isNotNull();
      passwordVariable.put(principal, variable(v.asText()));
    }
    Pattern scram =
        Pattern.compile(
            "org\\.apache\\.kafka\\.common\\.security\\.scram\\.ScramLoginModule required"
                + " username=\"([^\"]+)\" password=\"(\\$\\{[^}]+})\";");
    Set<String> loggedIn = new TreeSet<>();
    services
        .fields()
        .forEachRemaining(
            s -> {
              JsonNode env = s.getValue().get("environment");
              if (!s.getValue().has("build") || s.getKey().equals("provision-kafka")) {
                return;
              }
              if (s.getKey().equals("register-schemas")) {
                return; // the registry only
              }
              assertThat(env.get("KAI_KAFKA_SECURITY_PROTOCOL").asText())
                  .isEqualTo("SASL_PLAINTEXT");
              assertThat(env.get("KAI_KAFKA_SASL_MECHANISM").asText()).isEqualTo("SCRAM-SHA-512");
              assertThat(env.get("KAI_SCHEMA_REGISTRY_AUTO_REGISTER").asText()).isEqualTo("false");
              Matcher m = scram.matcher(env.get("KAI_KAFKA_SASL_JAAS_CONFIG").asText());
              assertThat(m.matches()).as("%s's JAAS setting", s.getKey()).isTrue();
              String principal = m.group(1);
              assertThat(principals).as(s.getKey()).contains(principal);
              assertThat(variable(m.group(2)))
                  .as(
                      "%s logs in with the password provision-kafka gives %s",
                      s.getKey(), principal)
                  .isEqualTo(passwordVariable.get(principal));
              loggedIn.add(principal);
            });
    assertThat(loggedIn)
        .containsExactlyInAnyOrder(
            "kai-intake-job",
            "kai-fleet-kpi-job",
            "kai-training-kpi-job",
            "kai-scoreboard-job",
            "kai-alerts-job",
            KafkaAccess.SINK,
            KafkaAccess.DEMO_SIMULATOR,
            KafkaAccess.PROGRAM_OFFICE);
    // The broker: every listener authenticates, the authorizer denies what no ACL grants.
    JsonNode kafka = services.get("kafka").get("environment");
    assertThat(kafka.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP").asText())
        .isEqualTo("CONTROLLER:SASL_PLAINTEXT,CLIENTS:SASL_PLAINTEXT");
    assertThat(kafka.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND").asText()).isEqualTo("false");
    assertThat(kafka.get("KAFKA_SUPER_USERS").asText()).isEqualTo("User:admin");
  }

  /** The variable of a {@code ${VAR:?...}} reference. */
  private static String variable(String reference) {
    Matcher m = Pattern.compile("\\$\\{([A-Z0-9_]+):\\?[^}]+}").matcher(reference);
    assertThat(m.matches()).as("%s is a required variable", reference).isTrue();
    return m.group(1);
  }

  @Test
  void imagesAreTheOnesTheContainerStackTests() {
    assertThat(services.get("kafka").get("image").asText()).isEqualTo(StackImages.KAFKA);
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
            "intake-job", KpiStreamsConfig.DEF,
            "clickhouse-sink", SinkConfig.DEF,
            "provision-kafka", ProvisionKafka.DEF,
            "register-schemas", RegisterSchemas.DEF,
            "publish-program", PublishProgram.DEF);
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
              // Demo data (the simulator, and the launch program it plays) never starts with the
              // production services.
              boolean demo = command.equals("simulate") || command.equals("publish-program");
              assertThat(s.getValue().has("profiles"))
                  .as("%s has a profile", s.getKey())
                  .isEqualTo(demo);
              if (demo) {
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
                      e -> {
                        // Kafka client settings pass through; provision takes passwords by name.
                        if (!e.startsWith("KAI_KAFKA_") && !e.startsWith(ProvisionKafka.USER_ENV)) {
                          assertThat(known).as("%s of %s", e, s.getKey()).contains(e);
                        }
                      });
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
