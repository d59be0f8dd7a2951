package kai.telemetry.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.simulator.ProgramSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topics;
import kai.telemetry.sinks.clickhouse.ClickHouseHttp;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fixed-seed simulator run through the real broker, registry, Streams job and sink; ClickHouse is
 * read back and compared with what an independent computation over the produced records says.
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
                ns.topicPrefix(), ns.database(), Duration.ofHours(1), state))) {
      long produced;
      try (ProgramSimulator sim = new ProgramSimulator(simulatorConfig(stack))) {
        produced = sim.backfill(START_MS, TICKS);
      }
      assertThat(produced).isEqualTo(EXPECTED_SAMPLES);

      List<GpuSample> raw = readAll(stack, topics);
      assertThat(raw).hasSize((int) EXPECTED_SAMPLES);

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

        assertRawRowsEqual(ch, samplesTable, raw);
        assertKpisEqual(ch, kpiTable, raw);
      }
      assertThat(pipeline.sink().metrics().deadLettered()).isZero();
    }
  }

  private SimulatorConfig simulatorConfig(LocalStack stack) {
    Map<String, Object> s = new HashMap<>();
    s.put(CommonSettings.BOOTSTRAP_SERVERS, stack.bootstrapServers());
    s.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    s.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    s.put(SimulatorConfig.GPUS_PER_TEAM, GPUS_PER_TEAM);
    s.put(SimulatorConfig.INTERVAL_MS, INTERVAL_MS);
    s.put(SimulatorConfig.SEED, 2026L);
    return new SimulatorConfig(s);
  }

  /** The raw topic as a plain consumer sees it: the truth the expectations are computed from. */
  private static List<GpuSample> readAll(LocalStack stack, Topics topics) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    List<GpuSample> out = new ArrayList<>();
    try (KafkaConsumer<String, GpuSample> consumer =
        new KafkaConsumer<>(
            c,
            topics.gpuSamples.keySerde(serde).deserializer(),
            topics.gpuSamples.valueSerde(serde).deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < topics.gpuSamples.partitions(); p++) {
        parts.add(new TopicPartition(topics.gpuSamples.name(), p));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      Await.until(
          "the raw topic to be read to its end",
          Duration.ofSeconds(30),
          () -> {
            for (ConsumerRecord<String, GpuSample> r : consumer.poll(Duration.ofMillis(200))) {
              assertThat(r.key()).isEqualTo(r.value().getGpuUuid());
              out.add(r.value());
            }
            return parts.stream().allMatch(p -> consumer.position(p) >= end.get(p));
          });
    }
    return out;
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
                + " utilization_mean_pct, version FROM "
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
      assertThat(r.get("version").asLong()).isEqualTo((long) acc[0]);
      assertThat(r.get("utilization_mean_pct").asDouble()).isCloseTo(acc[1] / acc[0], within(1e-9));
    }
  }
}
