package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.dashboards.Dashboards;
import kai.telemetry.dashboards.GrafanaSql;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.producers.program.SubmitEvaluations;
import kai.telemetry.producers.simulator.ProgramSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.CurveSmoothing;
import kai.telemetry.sinks.clickhouse.Migrations;
import kai.telemetry.sinks.clickhouse.Tables;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.Chdb;
import kai.telemetry.stack.ClickHouseUser;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.StackHome;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SQL the product publishes, run over what the pipeline produced: every example query of
 * docs/ANALYSTS.md on the ClickHouse server as the analyst user and on current ClickHouse (chDB),
 * and every dashboard panel (macros and variables expanded as the Grafana plugin does) on chDB. The
 * database is the product's own ({@code kai}), written by the sink's confined user.
 */
@ExtendWith(RealStackExtension.class)
class PublishedQueriesIT {
  private static final long START_MS = Instant.parse("2026-01-15T09:00:00Z").toEpochMilli();
  private static final int TICKS = 30; // 30 simulated minutes: two benchmark evaluations per run
  private static final Pattern SQL_BLOCK = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL);
  private static final List<String> TABLES =
      List.of(
          Tables.GPU_SAMPLES,
          Tables.TEAM_FLEET_1M,
          Tables.CLUSTER_FLEET_1M,
          Tables.RUN_1M,
          Tables.BENCHMARK_STANDINGS,
          Tables.PHASE_SCOREBOARD,
          Tables.ALERTS,
          Tables.TRAINING_STEPS,
          Tables.TRAINING_SCALARS,
          Tables.RUN_LIFECYCLE,
          Tables.BENCHMARK_RESULTS,
          Tables.EVALUATION_SCORES,
          Tables.DERIVATIVE_MODELS,
          Tables.TEAMS,
          Tables.BENCHMARKS,
          Tables.EVALUATION_RULES,
          Tables.COLLECTOR_REJECTS);

  private final TestNamespace ns = TestNamespace.of(PublishedQueriesIT.class);

  /** Two official results, as the program office publishes them, on the attributed topic. */
  private void publishOfficialResults(PipelineRunner pipeline) {
    Map<String, Object> office = pipeline.programOfficeSettings();
    office.put(SubmitEvaluations.FILE, "unused");
    AbstractConfig config = new AbstractConfig(SubmitEvaluations.DEF, office);
    String topic = Topics.withPrefix(ns.topicPrefix()).benchmarkResults.name();
    try (AvroSerializer<BenchmarkResult> avro = new AvroSerializer<>();
        KafkaProducer<String, BenchmarkResult> producer =
            new KafkaProducer<>(
                KafkaClients.of(config).producer("official-results"),
                new StringSerializer(),
                avro)) {
      avro.configure(CommonSettings.serdeConfig(config), false);
      for (String team : List.of("lg-ai-research", "upstage")) {
        producer.send(
            new ProducerRecord<>(
                topic,
                team,
                BenchmarkResult.newBuilder()
                    .setTeam(team)
                    .setModel(team + "-model")
                    .setBenchmark("kmmlu")
                    .setMetric("acc,none")
                    .setScore(0.62)
                    .setEvaluator(Evaluator.OFFICIAL)
                    .setTsMs(START_MS + 60_000)
                    .build()));
      }
      producer.flush();
    }
  }

  @Test
  void analystQueriesAndDashboardPanelsAnswerOverPipelineData(
      LocalStack stack, @TempDir Path state, @TempDir Path chdbDir) throws Exception {
    String kai = ClickHouseUser.DATABASE;
    long samples;
    try (PipelineRunner pipeline =
            PipelineRunner.start(
                stack,
                new PipelineRunner.Options(ns.topicPrefix(), kai, Duration.ofHours(1), state, 0));
        ClickHouseHttp admin = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      try (ProgramSimulator sim = new ProgramSimulator(simulatorConfig(pipeline))) {
        samples = sim.backfill(START_MS, TICKS);
      }
      // The simulator plays the teams; the program office's own results and evaluations come
      // from the office, as they would.
      publishOfficialResults(pipeline);
      Path evaluations = state.resolve("evaluations.csv");
      Files.writeString(
          evaluations,
          "phase,team,kind,score,max_score,evaluator\n"
              + "1,lg-ai-research,expert,31.6,35,expert-panel\n"
              + "1,upstage,user,20,25,public\n");
      Map<String, Object> office = pipeline.programOfficeSettings();
      office.put(SubmitEvaluations.FILE, evaluations.toString());
      SubmitEvaluations.run(
          new AbstractConfig(SubmitEvaluations.DEF, office),
          evaluations,
          System.currentTimeMillis());
      // The KPI rows trail the raw samples by up to the jobs' emit and commit intervals.
      Await.until(
          "raw samples, fleet and run KPIs, validation losses, benchmark standings and the"
              + " scoreboard in ClickHouse",
          Duration.ofSeconds(120),
          () ->
              count(admin, "SELECT count() FROM kai.gpu_samples FINAL") == samples
                  && count(admin, "SELECT count() FROM kai." + Tables.TEAM_FLEET_1M + " FINAL") > 0
                  && count(admin, "SELECT count() FROM kai." + Tables.CLUSTER_FLEET_1M + " FINAL")
                      > 0
                  && count(admin, "SELECT count() FROM kai." + Tables.RUN_1M + " FINAL") > 0
                  && count(admin, "SELECT count() FROM kai.benchmark_standings FINAL") > 0
                  && count(admin, "SELECT count() FROM kai.training_scalars FINAL") > 0
                  && count(admin, "SELECT count() FROM kai.phase_scoreboard FINAL WHERE total > 0")
                      > 0);
    }

    List<String> analystQueries = analystQueries();
    assertThat(analystQueries).hasSizeGreaterThanOrEqualTo(8);
    try (ClickHouseHttp analyst =
        new ClickHouseHttp(
            stack.clickhouse().httpUrl(),
            ClickHouseUser.ANALYST.user(),
            ClickHouseUser.ANALYST.localPassword())) {
      for (String sql : analystQueries) {
        assertAnswers(
            "server: " + sql, analyst.execute(sql + "\nFORMAT TabSeparatedWithNames"), sql);
      }

      try (Chdb chdb = Chdb.open(StackHome.locate(), chdbDir)) {
        Migrations.apply(q -> chdb.query(q, "TabSeparated"), kai);
        for (String table : TABLES) {
          String rows = analyst.execute("SELECT * FROM kai." + table + " FORMAT TabSeparated");
          if (!rows.isEmpty()) {
            chdb.query(
                "INSERT INTO kai." + table + " FORMAT TabSeparated\n" + rows, "TabSeparated");
          }
        }
        for (String sql : analystQueries) {
          assertAnswers("chDB: " + sql, chdb.query(sql, "TabSeparatedWithNames"), sql);
        }
        assertDashboardPanels(chdb);
      }
    }
  }

  private void assertDashboardPanels(Chdb chdb) {
    long from = START_MS - Duration.ofHours(1).toMillis();
    long to = START_MS + Duration.ofHours(2).toMillis();
    int panels = 0;
    for (Path file : Dashboards.files()) {
      JsonNode d = Dashboards.read(file);
      Map<String, List<String>> vars = new LinkedHashMap<>();
      for (JsonNode v : d.path("templating").path("list")) {
        String name = v.get("name").asText();
        List<String> values = new ArrayList<>();
        if (v.get("type").asText().equals("custom")) {
          values.add(v.get("options").get(0).get("value").asText());
        } else {
          String sql = GrafanaSql.expand(v.get("query").asText(), from, to, vars);
          for (String line : chdb.query(sql, "TabSeparated").split("\n")) {
            if (!line.isBlank()) {
              values.add(line);
            }
          }
        }
        assertThat(values).as("values of $%s in %s", name, file.getFileName()).isNotEmpty();
        vars.put(name, values);
      }
      for (JsonNode p : Dashboards.panels(d)) {
        for (JsonNode t : p.path("targets")) {
          String where = file.getFileName() + ": " + p.get("title").asText();
          String raw = t.get("rawSql").asText();
          if (raw.contains("AS loss_smoothed")) { // the one smoothing SQL, not a hand-made copy
            String inner =
                raw.substring(
                    raw.indexOf("FROM (") + "FROM (".length(),
                    raw.indexOf(")\n" + " ".repeat(28) + "WHERE loss_last IS NOT NULL"));
            assertThat(raw)
                .as(where)
                .isEqualTo(
                    CurveSmoothing.sql(
                        inner,
                        "${smoothing_method:singlequote}",
                        "toFloat64OrZero(${smoothing_weight:singlequote})"));
          }
          String sql = GrafanaSql.expand(raw, from, to, vars);
          String[] lines = chdb.query(sql, "TabSeparatedWithNames").split("\n");
          // A run without faults has no open alerts; a panel may say it may be empty.
          if (!sql.contains("v_alerts") && !sql.contains("-- may be empty")) {
            assertThat(lines.length).as("rows of %s", where).isGreaterThan(1);
          }
          if (t.path("queryType").asText().equals("timeseries")) {
            assertThat(lines[0].split("\t")[0]).as("time first in %s", where).isEqualTo("time");
          }
          panels++;
        }
      }
    }
    assertThat(panels).isGreaterThanOrEqualTo(20);
  }

  private static void assertAnswers(String where, String answer, String sql) {
    String[] lines = answer.split("\n");
    assertThat(lines[0]).as("header of %s", where).isNotBlank();
    if (!sql.contains("-- may be empty")) {
      assertThat(lines.length).as("rows of %s", where).isGreaterThan(1);
    }
  }

  private static List<String> analystQueries() throws Exception {
    Path doc = Path.of(System.getProperty("kai.docs.dir", "../docs")).resolve("ANALYSTS.md");
    Matcher m = SQL_BLOCK.matcher(Files.readString(doc));
    List<String> out = new ArrayList<>();
    while (m.find()) {
      out.add(m.group(1).strip());
    }
    return out;
  }

  private static long count(ClickHouseHttp ch, String sql) {
    try {
      return ch.count(sql);
    } catch (RuntimeException e) {
      return -1; // tables appear once the sink has migrated
    }
  }

  /** The simulator as the demo principal: its ACLs are the ones the access plan gives it. */
  private static SimulatorConfig simulatorConfig(PipelineRunner pipeline) {
    Map<String, Object> s = pipeline.simulatorSettings();
    s.put(SimulatorConfig.GPUS_PER_TEAM, 2);
    s.put(SimulatorConfig.INTERVAL_MS, 60_000L);
    s.put(SimulatorConfig.SEED, 2027L);
    return new SimulatorConfig(s);
  }
}
