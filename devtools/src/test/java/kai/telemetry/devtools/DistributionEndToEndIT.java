package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.KafkaAccess;
import kai.telemetry.devtools.Distribution.Deployable;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.sinks.clickhouse.SinkConfig;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.KafkaUsers;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import kai.telemetry.streams.KpiStreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What ships, run as an operator runs it: the distribution's launcher starts the four KPI jobs and
 * the sink, each in a JVM of its own on the distribution's jars alone, against the real broker,
 * registry and ClickHouse; the simulator's backfill then flows through to ClickHouse, and every
 * process stops cleanly on SIGTERM.
 */
@ExtendWith(RealStackExtension.class)
class DistributionEndToEndIT {
  private static final int TEAMS = 5;
  private static final int GPUS_PER_TEAM = 2;
  private static final int MINUTES = 3;
  private static final long INTERVAL_MS = 10_000;
  private static final long SAMPLES = TEAMS * GPUS_PER_TEAM * (MINUTES * 60_000L / INTERVAL_MS);
  private static final List<String> JOBS =
      List.of("intake-job", "fleet-kpi-job", "training-kpi-job", "scoreboard-job", "alerts-job");

  /** A deployable stops this fast on SIGTERM (its hooks allow 30 s for a broker that is down). */
  private static final Duration STOP_WITHIN = Duration.ofSeconds(10);

  private final TestNamespace ns = TestNamespace.of(DistributionEndToEndIT.class);

  @Test
  void theDistributionCarriesOnlyTheProduct() {
    List<String> jars = Distribution.locate().jars();
    assertThat(jars)
        .anyMatch(j -> j.startsWith("producers-"))
        .anyMatch(j -> j.startsWith("streams-"))
        .anyMatch(j -> j.startsWith("sinks-"))
        .anyMatch(j -> j.startsWith("config-"))
        .anyMatch(j -> j.startsWith("dashboards-")) // provision-grafana
        .anyMatch(j -> j.startsWith("kafka-clients-"))
        .noneMatch(j -> Distribution.BANNED_JAR.matcher(j).matches());
    // The pattern does catch what it bans.
    assertThat(
            List.of("kafka_2.13-4.4.0.jar", "testcontainers-1.21.4.jar", "junit-jupiter-api-5.jar"))
        .allMatch(j -> Distribution.BANNED_JAR.matcher(j).matches());
  }

  /**
   * A deployable that runs out of memory exits, rather than living on with a thread dead: the
   * launcher's {@code -XX:+ExitOnOutOfMemoryError}, shown on a Trainer state file too large for a
   * heap cut to 64 MiB. Exit status 3 is the JVM's for that exit.
   */
  @Test
  void aDeployableOutOfMemoryExitsInsteadOfHanging(LocalStack stack) throws Exception {
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), "oom-" + ns.database());
    Files.createDirectories(dir);
    Path state = dir.resolve("trainer_state.json");
    try (var out = Files.newBufferedWriter(state)) {
      out.write("{\"log_history\": [");
      for (int i = 1; i <= 1_500_000; i++) {
        out.write((i > 1 ? "," : "") + "{\"step\": " + i + ", \"loss\": 2.5, \"epoch\": 0.1}");
      }
      out.write("]}");
    }
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack
        .kafka()
        .createTopics(
            topics.team("upstage").all().stream().map(t -> t.newTopic((short) 1)).toList());
    List<String> args = new ArrayList<>(stack.deployableArgs());
    args.addAll(
        List.of(
            CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl(),
            CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix(),
            "collector.team=upstage",
            "log.file=" + state,
            "log.format=hf-trainer-state",
            "log.run.id=big-run",
            "log.start.time=2026-01-05T00:00:00Z"));
    try (Deployable importer =
        Distribution.locate()
            .start(
                "import-training-log",
                args,
                dir.resolve("import.log"),
                Map.of("KAI_HEAP", "-Xmx64m"))) {
      assertThat(importer.awaitExit(Duration.ofSeconds(120))).as(importer.logText()).isEqualTo(3);
      assertThat(importer.logText()).contains("Terminating due to java.lang.OutOfMemoryError");
    }
  }

  /**
   * A KPI job that cannot go on (here: it cannot reach the schema registry to read a record whose
   * schema it has not seen) does not skip the record nor live on idle: its process exits 1, so its
   * supervisor restarts it from its last commit.
   */
  @Test
  void aKpiJobThatCannotGoOnExitsNonZero(LocalStack stack) throws Exception {
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), "fatal-" + ns.database());
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    PipelineRunner.createTopics(stack, topics, List.of());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<>(
            stack.kafkaClientConfig(),
            topics.gpuSamples.keySerde(serde).serializer(),
            topics.gpuSamples.valueSerde(serde).serializer())) {
      producer.send(
          new org.apache.kafka.clients.producer.ProducerRecord<>(
              topics.gpuSamples.name(),
              "GPU-1",
              kai.telemetry.events.GpuSample.newBuilder()
                  .setTeam("upstage")
                  .setCluster("upstage-c1")
                  .setNode("n1")
                  .setGpuUuid("GPU-1")
                  .setGpuIndex(0)
                  .setTsMs(System.currentTimeMillis())
                  .setUtilizationPct(90.0)
                  .build()));
      producer.flush();
    }
    List<String> args = new ArrayList<>(stack.deployableArgs());
    args.add(CommonSettings.SCHEMA_REGISTRY_URL + "=http://127.0.0.1:1"); // nothing listens
    args.add(CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix());
    args.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=" + ns.topicPrefix() + "kai");
    args.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("state"));
    try (Deployable job =
        Distribution.locate().start("fleet-kpi-job", args, dir.resolve("fleet-kpi-job.log"))) {
      assertThat(job.awaitExit(Duration.ofSeconds(120))).as(job.logText()).isEqualTo(1);
      assertThat(job.logText())
          .contains("fleet-kpi-job stopped on an error (see above); exiting with status 1");
    }
  }

  @Test
  void deployablesStartedFromTheDistributionMoveDataEndToEnd(LocalStack stack) throws Exception {
    Distribution dist = Distribution.locate();
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), "dist-" + ns.database());
    Files.createDirectories(dir);
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    List<String> teams =
        kai.telemetry.producers.program.ProgramFile.launchDefault().activeTeams().stream()
            .map(kai.telemetry.producers.program.Team::id)
            .toList();
    PipelineRunner.createTopics(stack, topics, teams);

    List<String> common =
        List.of(
            CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl(),
            CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix());
    // Each deployable authenticates as its own principal, with the access plan's ACLs only.
    String appIdPrefix = ns.topicPrefix() + "kai";
    String sinkGroup = ns.topicPrefix() + "kai-clickhouse-sink";
    KafkaAccess access = new KafkaAccess(topics);
    Map<String, KafkaUsers.Principal> principals =
        stack.createPrincipals(access.plan(appIdPrefix, sinkGroup, teams));
    principals.putAll(
        stack.createPrincipals(Map.of(KafkaAccess.DEMO_SIMULATOR, access.demoSimulator())));
    List<Deployable> running = new ArrayList<>();
    try {
      List<String> sinkArgs = new ArrayList<>(common);
      sinkArgs.addAll(principals.get(KafkaAccess.SINK).deployableArgs());
      sinkArgs.add(SinkConfig.CLICKHOUSE_URL + "=" + stack.clickhouse().jdbcUrl());
      sinkArgs.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
      sinkArgs.add(SinkConfig.CLICKHOUSE_DATABASE + "=" + ns.database());
      sinkArgs.add(SinkConfig.GROUP_ID + "=" + sinkGroup);
      sinkArgs.add(SinkConfig.METRICS_PORT + "=0");
      running.add(dist.start("clickhouse-sink", sinkArgs, dir.resolve("clickhouse-sink.log")));
      for (String job : JOBS) {
        List<String> args = new ArrayList<>(common);
        args.addAll(principals.get(appIdPrefix + "-" + job).deployableArgs());
        args.add(KpiStreamsConfig.APPLICATION_ID_PREFIX + "=" + appIdPrefix);
        args.add(KpiStreamsConfig.STATE_DIR + "=" + dir.resolve("state"));
        running.add(dist.start(job, args, dir.resolve(job + ".log")));
      }
      for (Deployable d : running) {
        d.awaitLog(
            d.command().equals("clickhouse-sink") ? "sink assigned" : "-> RUNNING",
            Duration.ofSeconds(180));
      }

      // The program office publishes the program; the simulator only plays the teams.
      List<String> publishArgs = new ArrayList<>(common);
      publishArgs.addAll(principals.get(KafkaAccess.PROGRAM_OFFICE).deployableArgs());
      publishArgs.add("program.file=launch-2025-09");
      try (Deployable publish =
          dist.start("publish-program", publishArgs, dir.resolve("publish-program.log"))) {
        assertThat(publish.awaitExit(Duration.ofSeconds(120))).as(publish.logText()).isZero();
        assertThat(publish.logText())
            .contains("publish-program: added team lg-ai-research")
            .contains("publish-program: launch-2025-09: 17 records published, 0 already current");
      }

      // A team's import whose tasks are all outside the catalogue lands nothing: it says so on
      // the console and exits non-zero, rather than ending quietly.
      Path results = dir.resolve("results.json");
      Files.writeString(
          results,
          "{\"results\": {\"unknown_task\": {\"acc,none\": 0.5}},"
              + " \"config\": {\"model\": \"hf\"}, \"model_name\": \"m\","
              + " \"date\": 1768467600.0}");
      List<String> importArgs = new ArrayList<>(common);
      importArgs.addAll(principals.get(KafkaAccess.teamPrincipal("upstage")).deployableArgs());
      importArgs.add("collector.team=upstage");
      importArgs.add("lmeval.file=" + results);
      try (Deployable lmEval =
          dist.start("import-lm-eval", importArgs, dir.resolve("import-lm-eval.log"))) {
        assertThat(lmEval.awaitExit(Duration.ofSeconds(120))).as(lmEval.logText()).isEqualTo(1);
        assertThat(lmEval.logText())
            .contains("lm-eval: published 0, rejected 0")
            .contains(
                "lm-eval: tasks not in the benchmark catalogue (not imported): [unknown_task]")
            .contains("lm-eval: nothing was published");
      }

      List<String> simArgs = new ArrayList<>(common);
      simArgs.addAll(principals.get(KafkaAccess.DEMO_SIMULATOR).deployableArgs());
      simArgs.add(SimulatorConfig.MODE + "=backfill");
      simArgs.add(SimulatorConfig.BACKFILL_MINUTES + "=" + MINUTES);
      simArgs.add(SimulatorConfig.GPUS_PER_TEAM + "=" + GPUS_PER_TEAM);
      simArgs.add(SimulatorConfig.INTERVAL_MS + "=" + INTERVAL_MS);
      simArgs.add(SimulatorConfig.SEED + "=2026");
      try (Deployable sim = dist.start("simulate", simArgs, dir.resolve("simulate.log"))) {
        assertThat(sim.awaitExit(Duration.ofSeconds(120))).as(sim.logText()).isZero();
        assertThat(sim.logText()).contains("simulator stopped after " + SAMPLES + " GPU samples");
      }

      String db = ns.database();
      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        Await.until(
            "the samples, their fleet minutes, run minutes and the scoreboard in ClickHouse",
            Duration.ofSeconds(120),
            () ->
                ch.count("SELECT count() FROM " + db + ".gpu_samples FINAL") == SAMPLES
                    && ch.count("SELECT sum(samples) FROM " + db + ".team_fleet_1m FINAL")
                        == SAMPLES
                    && ch.count("SELECT count() FROM " + db + ".training_steps FINAL") > 0
                    && ch.count("SELECT sum(steps) FROM " + db + ".run_1m FINAL")
                        == ch.count("SELECT count() FROM " + db + ".training_steps FINAL")
                    && ch.count("SELECT count() FROM " + db + ".phase_scoreboard FINAL") == TEAMS);
        assertThat(ch.count("SELECT uniqExact(team) FROM " + db + ".team_fleet_1m FINAL"))
            .isEqualTo(TEAMS);
        assertThat(ch.count("SELECT count() FROM " + db + ".teams FINAL")).isEqualTo(TEAMS);
      }

      for (Deployable d : running) {
        // SIGTERM: the JVM runs its shutdown hooks and exits 143 (128 + 15), within seconds.
        long asked = System.nanoTime();
        assertThat(d.stop(Duration.ofSeconds(60))).as(d.command()).isIn(0, 143);
        assertThat(Duration.ofNanos(System.nanoTime() - asked))
            .as(d.command() + " stopping on SIGTERM")
            .isLessThan(STOP_WITHIN);
      }
      assertThat(running.get(0).logText()).contains("sink stopped cleanly");
      for (Deployable job : running.subList(1, running.size())) {
        assertThat(job.logText()).contains(job.command() + " stopped: state and output committed");
      }
    } finally {
      running.forEach(Deployable::close);
    }
  }
}
