package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.simulator.ProgramSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.TeamTopics;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import kai.telemetry.streams.intake.Quarantine;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fixed-seed simulator run through the real broker, registry, intake, Streams jobs and sink;
 * ClickHouse is read back and compared with what an independent computation over the produced
 * records says. A team's hostile records, sent alongside, are held back and raised, and change no
 * number.
 */
@ExtendWith(RealStackExtension.class)
class PipelineEndToEndIT {
  private static final long START_MS = Instant.parse("2026-01-15T09:00:00Z").toEpochMilli();
  private static final int GPUS_PER_TEAM = 3;
  private static final long INTERVAL_MS = 10_000;
  private static final int TICKS = 18; // three whole minutes
  private static final int TEAMS = 5;
  private static final long EXPECTED_SAMPLES = (long) TEAMS * GPUS_PER_TEAM * TICKS;

  private final TestNamespace ns = TestNamespace.of(PipelineEndToEndIT.class);

  /** What the test expects of one KPI row, computed here from the raw records. */
  private record Expected(Set<String> gpus, long[] samples, double[] sum) {}

  @Test
  void simulatorRunLandsExactRowsAndKpis(LocalStack stack, @TempDir Path state) throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    try (PipelineRunner pipeline =
        PipelineRunner.start(
            stack,
            new PipelineRunner.Options(
                ns.topicPrefix(), ns.database(), Duration.ofHours(1), state, 0))) {
      long produced;
      // Team upstage, with its own credentials, tries to pass a sample off as team
      // lg-ai-research's, to raise its own result to official, and writes bytes no one can read.
      publishHostileRecords(pipeline, topics);
      try (ProgramSimulator sim = new ProgramSimulator(simulatorConfig(pipeline))) {
        produced = sim.backfill(START_MS, TICKS);
      }
      assertThat(produced).isEqualTo(EXPECTED_SAMPLES);

      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        String samplesTable = ns.database() + ".gpu_samples";
        String kpiTable = ns.database() + ".team_fleet_1m";
        Await.until(
            "every sample and its KPI to land in ClickHouse",
            Duration.ofSeconds(90),
            () ->
                ch.count("SELECT count() FROM " + samplesTable + " FINAL") == EXPECTED_SAMPLES
                    && ch.count("SELECT sum(samples) FROM " + kpiTable + " FINAL")
                        == EXPECTED_SAMPLES);
        // The intake has copied every sample by now: the attributed topic holds exactly these.
        List<GpuSample> raw = TopicContents.readAll(stack, topics.gpuSamples);
        assertThat(raw).hasSize((int) EXPECTED_SAMPLES);

        assertRawRowsEqual(ch, samplesTable, raw);
        assertKpisEqual(ch, kpiTable, raw);

        List<TrainingStep> steps = TopicContents.readAll(stack, topics.trainingSteps);
        assertThat(steps).hasSizeGreaterThan(TEAMS * TICKS);
        String runTable = ns.database() + ".run_1m";
        Await.until(
            "every training step counted in run_1m",
            Duration.ofSeconds(60),
            () -> ch.count("SELECT sum(steps) FROM " + runTable + " FINAL") == steps.size());
        assertRunMinutesEqual(ch, runTable, steps);

        // Raw steps and the reference data land as they are.
        String stepsTable = ns.database() + ".training_steps";
        Await.until(
            "every raw step in training_steps",
            Duration.ofSeconds(60),
            () -> ch.count("SELECT count() FROM " + stepsTable + " FINAL") == steps.size());
        assertThat(ch.count("SELECT count() FROM " + ns.database() + ".teams FINAL"))
            .isEqualTo(TEAMS);
        assertThat(
                ch.rows(
                    "SELECT team, spec_gpu_count, spec_gpu_type FROM "
                        + ns.database()
                        + ".run_lifecycle FINAL WHERE kind = 'STARTED' ORDER BY team"))
            .extracting(
                r ->
                    r.get("team").asText()
                        + ":"
                        + r.get("spec_gpu_count").asInt()
                        + ":"
                        + r.get("spec_gpu_type").asText())
            .containsExactly(
                "lg-ai-research:3:H100",
                "naver-cloud:3:H100",
                "nc-ai:3:H100",
                "sk-telecom:3:H100",
                "upstage:3:H100");

        // The program file's five teams on the phase-1 scoreboard; no official results or
        // evaluations yet in three simulated minutes, so everyone has 0 and shares rank 1: a
        // five-way tie on a cut of three, which the rules cannot break, so no one passes yet and
        // every row is flagged for the program office.
        String board = ns.database() + ".phase_scoreboard";
        Await.until(
            "the phase-1 scoreboard",
            Duration.ofSeconds(60),
            () -> ch.count("SELECT count() FROM " + board + " FINAL WHERE phase = 1") == TEAMS);
        assertThat(
                ch.rows(
                    "SELECT team, total, rank, passed, cut_tie FROM "
                        + board
                        + " FINAL ORDER BY team"))
            .extracting(
                r ->
                    r.get("team").asText()
                        + ":"
                        + r.get("total").asDouble()
                        + ":"
                        + r.get("rank").asInt()
                        + ":"
                        + r.get("passed").asInt()
                        + ":"
                        + r.get("cut_tie").asInt())
            .containsExactly(
                "lg-ai-research:0.0:1:0:1",
                "naver-cloud:0.0:1:0:1",
                "nc-ai:0.0:1:0:1",
                "sk-telecom:0.0:1:0:1",
                "upstage:0.0:1:0:1");

        // Upstage's three records were held back, each with its reason, and never counted above:
        // the raw topics hold exactly the simulator's records and every KPI equals theirs.
        List<ConsumerRecord<byte[], byte[]>> held = TopicContents.records(stack, topics.quarantine);
        assertThat(held)
            .extracting(r -> header(r, Quarantine.CAUSE) + " " + header(r, Quarantine.TEAM))
            .containsExactlyInAnyOrder(
                "NOT_ITS_TEAM upstage", "OFFICIAL_CLAIM upstage", "UNREADABLE upstage");
        assertThat(held)
            .allSatisfy(
                r -> assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("upstage"))
            .anySatisfy(
                r ->
                    assertThat(header(r, Quarantine.REASON))
                        .contains("names team 'lg-ai-research'")
                        .contains("intake of team 'upstage'"));
        assertThat(
                ch.count(
                    "SELECT count() FROM "
                        + ns.database()
                        + ".benchmark_results FINAL WHERE evaluator = 'OFFICIAL'"))
            .isZero();
        // The program office hears of it: one open alert per cause, critical for the attempts.
        String alerts = ns.database() + ".alerts";
        Await.until(
            "the quarantine alerts",
            Duration.ofSeconds(60),
            () ->
                ch.count("SELECT count() FROM " + alerts + " FINAL WHERE kind = 'QUARANTINE'")
                    == 3);
        assertThat(
                ch.rows(
                    "SELECT team, subject, severity, state FROM "
                        + alerts
                        + " FINAL WHERE kind = 'QUARANTINE' ORDER BY subject"))
            .extracting(
                r ->
                    String.join(
                        ":",
                        r.get("team").asText(),
                        r.get("subject").asText(),
                        r.get("severity").asText(),
                        r.get("state").asText()))
            .containsExactly(
                "upstage:NOT_ITS_TEAM:CRITICAL:OPEN",
                "upstage:OFFICIAL_CLAIM:CRITICAL:OPEN",
                "upstage:UNREADABLE:WARNING:OPEN");
      }
      assertThat(pipeline.sink().metrics().deadLettered()).isZero();
      // Every stage's lag is measured on its own group; once the backfill is in, none is behind.
      try (org.apache.kafka.clients.admin.Admin admin = stack.kafka().admin()) {
        Await.until(
            "every stage caught up",
            Duration.ofSeconds(60),
            () ->
                PipelineHealth.lag(admin, pipeline.stages()).values().stream()
                    .allMatch(n -> n <= 100));
        assertThat(PipelineHealth.lag(admin, pipeline.stages()))
            .containsOnlyKeys(
                "intake-job",
                "fleet-kpi-job",
                "training-kpi-job",
                "scoreboard-job",
                "alerts-job",
                "clickhouse-sink");
      }
    }
  }

  /**
   * As team upstage, straight to its intake (no collector): a GPU sample naming team lg-ai-research
   * inside the simulated window, a benchmark result marked OFFICIAL, and bytes that are not a
   * training step.
   */
  private static void publishHostileRecords(PipelineRunner pipeline, Topics topics) {
    Map<String, Object> settings = pipeline.teamSettings("upstage");
    settings.put(CollectorConfig.TEAM, "upstage");
    CollectorConfig config = new CollectorConfig(settings);
    TeamTopics upstage = topics.team("upstage");
    try (AvroSerializer<SpecificRecord> avro = new AvroSerializer<>();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(
                config.producerConfig("hostile", null),
                new StringSerializer(),
                new ByteArraySerializer())) {
      avro.configure(config.serdeConfig(), false);
      GpuSample posing =
          GpuSample.newBuilder()
              .setTeam("lg-ai-research")
              .setCluster("lg-ai-research-c1")
              .setNode("lg-node-1")
              .setGpuUuid("GPU-posing-0001")
              .setGpuIndex(0)
              .setTsMs(START_MS + 30_000)
              .setUtilizationPct(100.0)
              .build();
      BenchmarkResult official =
          BenchmarkResult.newBuilder()
              .setTeam("upstage")
              .setModel("solar")
              .setBenchmark("kmmlu")
              .setMetric("acc,none")
              .setScore(0.99)
              .setEvaluator(Evaluator.OFFICIAL)
              .setTsMs(START_MS)
              .build();
      String samples = upstage.gpuSamples.name();
      String results = upstage.benchmarkResults.name();
      producer.send(
          new ProducerRecord<>(samples, "GPU-posing-0001", avro.serialize(samples, posing)));
      producer.send(new ProducerRecord<>(results, "upstage", avro.serialize(results, official)));
      // The wire format's magic byte, then a schema id the registry never gave out.
      producer.send(
          new ProducerRecord<>(
              upstage.trainingSteps.name(), "upstage/x", new byte[] {0, 0x7f, -1, -1, -2, 2}));
      producer.flush();
    }
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** The simulator as the demo principal: its ACLs are the ones the access plan gives it. */
  private static SimulatorConfig simulatorConfig(PipelineRunner pipeline) {
    Map<String, Object> s = pipeline.simulatorSettings();
    s.put(SimulatorConfig.GPUS_PER_TEAM, GPUS_PER_TEAM);
    s.put(SimulatorConfig.INTERVAL_MS, INTERVAL_MS);
    s.put(SimulatorConfig.SEED, 2026L);
    return new SimulatorConfig(s);
  }

  private static void assertRawRowsEqual(ClickHouseHttp ch, String table, List<GpuSample> raw) {
    List<JsonNode> rows =
        ch.rows(
            "SELECT team, cluster, node, gpu_uuid, gpu_index, ts_ms, utilization_pct, mem_used_mib,"
                + " mem_total_mib, power_w, temperature_c, toUnixTimestamp(event_time) AS event_s"
                + " FROM "
                + table
                + " FINAL ORDER BY gpu_uuid, ts_ms");
    List<GpuSample> expected =
        raw.stream()
            .sorted(
                java.util.Comparator.comparing(GpuSample::getGpuUuid)
                    .thenComparingLong(GpuSample::getTsMs))
            .toList();
    assertThat(rows).hasSize(expected.size());
    for (int i = 0; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      GpuSample s = expected.get(i);
      assertThat(r.get("team").asText()).isEqualTo(s.getTeam());
      assertThat(r.get("cluster").asText()).isEqualTo(s.getCluster());
      assertThat(r.get("node").asText()).isEqualTo(s.getNode());
      assertThat(r.get("gpu_uuid").asText()).isEqualTo(s.getGpuUuid());
      assertThat(r.get("gpu_index").asInt()).isEqualTo(s.getGpuIndex());
      assertThat(r.get("ts_ms").asLong()).isEqualTo(s.getTsMs());
      assertThat(r.get("event_s").asLong()).isEqualTo(s.getTsMs() / 1000);
      assertThat(r.get("utilization_pct").asDouble()).isEqualTo(s.getUtilizationPct());
      assertThat(r.get("mem_used_mib").asDouble()).isEqualTo(s.getMemUsedMib());
      assertThat(r.get("mem_total_mib").asDouble()).isEqualTo(s.getMemTotalMib());
      assertThat(r.get("power_w").asDouble()).isEqualTo(s.getPowerW());
      assertThat(r.get("temperature_c").asDouble()).isEqualTo(s.getTemperatureC());
    }
  }

  /**
   * Per run and minute, recomputed from the raw steps in topic order (the order of each run's
   * partition): count, last step by event time, finite-loss min/max/mean, NaN/Inf count, and the
   * debiased EMA (w = 0.9, the default) at the window's last step.
   */
  private static void assertRunMinutesEqual(
      ClickHouseHttp ch, String table, List<TrainingStep> steps) {
    record Acc(long[] n, double[] loss, TrainingStep[] last, double[] ema) {}
    Map<String, TreeMap<Long, Acc>> byRun = new TreeMap<>();
    Map<String, double[]> emaState = new HashMap<>(); // s, t
    for (TrainingStep s : steps) {
      String run = s.getTeam() + "/" + s.getRunId();
      double[] ema = emaState.computeIfAbsent(run, r -> new double[2]);
      if (s.getLoss() != null && Double.isFinite(s.getLoss())) {
        ema[0] = 0.9 * ema[0] + 0.1 * s.getLoss();
        ema[1] += 1;
      }
      long minute = s.getTsMs() - Math.floorMod(s.getTsMs(), 60_000L);
      Acc a =
          byRun
              .computeIfAbsent(run, r -> new TreeMap<>())
              .computeIfAbsent(
                  minute,
                  m ->
                      new Acc(
                          new long[3],
                          new double[] {Double.MAX_VALUE, -Double.MAX_VALUE, 0},
                          new TrainingStep[1],
                          new double[1]));
      a.n()[0]++;
      boolean nanInf =
          (s.getLoss() != null && !Double.isFinite(s.getLoss()))
              || (s.getGradNorm() != null && !Double.isFinite(s.getGradNorm()));
      if (nanInf) {
        a.n()[1]++;
      }
      if (s.getLoss() != null && Double.isFinite(s.getLoss())) {
        a.loss()[0] = Math.min(a.loss()[0], s.getLoss());
        a.loss()[1] = Math.max(a.loss()[1], s.getLoss());
        a.loss()[2] += s.getLoss();
        a.n()[2]++;
      }
      TrainingStep last = a.last()[0];
      if (last == null
          || s.getTsMs() > last.getTsMs()
          || (s.getTsMs() == last.getTsMs() && s.getStep() >= last.getStep())) {
        a.last()[0] = s;
        a.ema()[0] = ema[1] == 0 ? Double.NaN : ema[0] / (1 - Math.pow(0.9, ema[1]));
      }
    }
    List<JsonNode> rows =
        ch.rows(
            "SELECT team, run_id, window_start_ms, steps, last_step, tokens, loss_min, loss_max, loss_mean,"
                + " loss_smoothed, nan_inf_count FROM "
                + table
                + " FINAL ORDER BY team, run_id, window_start_ms");
    assertThat(rows).hasSize(byRun.values().stream().mapToInt(Map::size).sum());
    for (JsonNode r : rows) {
      Acc a =
          byRun
              .get(r.get("team").asText() + "/" + r.get("run_id").asText())
              .get(r.get("window_start_ms").asLong());
      assertThat(a).isNotNull();
      assertThat(r.get("steps").asLong()).isEqualTo(a.n()[0]);
      assertThat(r.get("nan_inf_count").asLong()).isEqualTo(a.n()[1]);
      assertThat(r.get("last_step").asLong()).isEqualTo(a.last()[0].getStep());
      assertThat(r.get("tokens").asLong()).isEqualTo(a.last()[0].getTokens());
      if (a.n()[2] > 0) {
        assertThat(r.get("loss_min").asDouble()).isCloseTo(a.loss()[0], within(1e-12));
        assertThat(r.get("loss_max").asDouble()).isCloseTo(a.loss()[1], within(1e-12));
        assertThat(r.get("loss_mean").asDouble()).isCloseTo(a.loss()[2] / a.n()[2], within(1e-9));
      }
      if (!Double.isNaN(a.ema()[0])) {
        assertThat(r.get("loss_smoothed").asDouble()).isCloseTo(a.ema()[0], within(1e-9));
      }
    }
  }

  private static void assertKpisEqual(ClickHouseHttp ch, String table, List<GpuSample> raw) {
    // Independent batch computation: per team and minute, distinct GPUs, count, mean.
    Map<String, Map<Long, Set<String>>> gpus = new TreeMap<>();
    Map<String, Map<Long, double[]>> sums = new TreeMap<>();
    for (GpuSample s : raw) {
      long minute = s.getTsMs() - Math.floorMod(s.getTsMs(), 60_000L);
      gpus.computeIfAbsent(s.getTeam(), t -> new TreeMap<>())
          .computeIfAbsent(minute, m -> new HashSet<>())
          .add(s.getGpuUuid());
      double[] acc =
          sums.computeIfAbsent(s.getTeam(), t -> new TreeMap<>())
              .computeIfAbsent(minute, m -> new double[2]);
      acc[0] += 1;
      acc[1] += s.getUtilizationPct();
    }
    List<JsonNode> rows =
        ch.rows(
            "SELECT team, window_start_ms, window_end_ms, gpus_reporting, samples,"
                + " utilization_mean_pct, version, gpu_allocation, coverage_pct, gpu_hours FROM "
                + table
                + " FINAL ORDER BY team, window_start_ms");
    int expectedRows = sums.values().stream().mapToInt(Map::size).sum();
    assertThat(expectedRows).isEqualTo(TEAMS * 3);
    assertThat(rows).hasSize(expectedRows);
    for (JsonNode r : rows) {
      String team = r.get("team").asText();
      long start = r.get("window_start_ms").asLong();
      double[] acc = sums.get(team).get(start);
      assertThat(acc).as("KPI row %s %d has raw samples", team, start).isNotNull();
      assertThat(r.get("window_end_ms").asLong()).isEqualTo(start + 60_000);
      assertThat(r.get("gpus_reporting").asInt()).isEqualTo(gpus.get(team).get(start).size());
      assertThat(r.get("gpus_reporting").asInt()).isEqualTo(GPUS_PER_TEAM);
      assertThat(r.get("samples").asLong()).isEqualTo((long) acc[0]);
      // Versions count forwarded updates (record caches coalesce some), so only their order
      // matters.
      assertThat(r.get("version").asLong()).isPositive();
      assertThat(r.get("gpu_allocation").asInt()).isEqualTo(1000);
      assertThat(r.get("coverage_pct").asDouble())
          .isCloseTo(GPUS_PER_TEAM * 100.0 / 1000, within(1e-9));
      assertThat(r.get("gpu_hours").asDouble()).isCloseTo(GPUS_PER_TEAM / 60.0, within(1e-9));
      assertThat(r.get("utilization_mean_pct").asDouble()).isCloseTo(acc[1] / acc[0], within(1e-9));
    }
  }
}
