package kai.telemetry.devtools;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.collect.CollectorConfig;
import kai.telemetry.producers.simulator.ProgramSimulator;
import kai.telemetry.producers.simulator.SimulatorConfig;
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
 * One source floods its team's intake with 200,000 made-up GPU ids, on the whole real pipeline. The
 * intake takes at most the team's allocation x 1.5 distinct GPUs per minute on each partition and
 * quarantines the rest, each with its reason, so what reaches the fleet job, and the state it
 * keeps, is bounded by allocations, not by what a sender invents; the quarantine raises an alert;
 * every other team's fleet minutes are exact; and every flooded record is accounted for, passed or
 * quarantined, none silently lost.
 */
@ExtendWith(RealStackExtension.class)
class GpuFloodIT {
  private static final long START_MS = Instant.parse("2026-01-15T09:00:00Z").toEpochMilli();
  private static final int FLOOD = 200_000;
  private static final int TICKS = 12; // two whole minutes, 10 s apart
  private static final int GPUS_PER_TEAM = 2;
  private static final String FLOODER = "upstage";
  private static final String FLOOD_NODE = "node-flood";

  /** Allocation 1000 (the launch program) x the default margin 1.5. */
  private static final int CAP_PER_PARTITION_MINUTE = 1500;

  private final TestNamespace ns = TestNamespace.of(GpuFloodIT.class);

  @Test
  void madeUpGpuIdsAreCutAtTheAllocationAndNoOtherTeamIsTouched(
      LocalStack stack, @TempDir Path state) throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    try (PipelineRunner pipeline =
        PipelineRunner.start(
            stack,
            new PipelineRunner.Options(
                ns.topicPrefix(), ns.database(), Duration.ofHours(1), state, 0))) {
      Map<String, Object> sim = pipeline.simulatorSettings();
      sim.put(SimulatorConfig.GPUS_PER_TEAM, GPUS_PER_TEAM);
      sim.put(SimulatorConfig.INTERVAL_MS, 10_000L);
      sim.put(SimulatorConfig.SEED, 2026L);
      long simulated;
      try (ProgramSimulator simulator = new ProgramSimulator(new SimulatorConfig(sim))) {
        simulated = simulator.backfill(START_MS, TICKS);
      }
      flood(pipeline, topics);

      int partitions = topics.team(FLOODER).gpuSamples.partitions();
      List<ConsumerRecord<byte[], byte[]>> held = awaitAccounted(stack, topics, simulated / 5);
      assertThat(held)
          .allSatisfy(
              r ->
                  assertThat(
                          new String(
                              r.headers().lastHeader(Quarantine.CAUSE).value(),
                              java.nio.charset.StandardCharsets.UTF_8))
                      .isEqualTo("TOO_MANY_GPUS"));

      // What passed: within the cap on every partition and minute (the flood spans two minutes;
      // the team's own GPUs, sampled before it, passed as well).
      List<GpuSample> passed = TopicContents.readAll(stack, topics.gpuSamples);
      Set<String> floodPassed = new HashSet<>();
      Set<String> ownPassed = new HashSet<>();
      for (GpuSample s : passed) {
        if (s.getTeam().equals(FLOODER)) {
          (s.getNode().equals(FLOOD_NODE) ? floodPassed : ownPassed).add(s.getGpuUuid());
        }
      }
      assertThat(ownPassed).hasSize(GPUS_PER_TEAM);
      assertThat(floodPassed.size())
          .isPositive()
          .isLessThanOrEqualTo(CAP_PER_PARTITION_MINUTE * partitions * 2);
      assertThat(held).hasSize(FLOOD - floodPassed.size()); // each passed id was sent once

      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        String db = ns.database();
        Await.until(
            "the other teams' samples in their fleet minutes and the quarantine alert",
            Duration.ofSeconds(120),
            () ->
                ch.count(
                            "SELECT sum(samples) FROM "
                                + db
                                + ".team_fleet_1m FINAL WHERE team != '"
                                + FLOODER
                                + "'")
                        == simulated / 5 * 4
                    && ch.count(
                            "SELECT count() FROM "
                                + db
                                + ".alerts FINAL WHERE kind = 'QUARANTINE' AND team = '"
                                + FLOODER
                                + "' AND subject = 'TOO_MANY_GPUS'")
                        == 1);
        List<JsonNode> rows =
            ch.rows(
                "SELECT team, window_start_ms, gpus_reporting, samples FROM "
                    + db
                    + ".team_fleet_1m FINAL WHERE team != '"
                    + FLOODER
                    + "' ORDER BY team, window_start_ms");
        assertThat(rows).hasSize(4 * TICKS / 6);
        assertThat(rows)
            .allSatisfy(
                r -> {
                  assertThat(r.get("gpus_reporting").asInt()).isEqualTo(GPUS_PER_TEAM);
                  assertThat(r.get("samples").asLong()).isEqualTo(GPUS_PER_TEAM * 6L);
                });
        assertThat(
                ch.rows(
                        "SELECT message FROM "
                            + db
                            + ".alerts FINAL WHERE kind = 'QUARANTINE' AND team = '"
                            + FLOODER
                            + "'")
                    .get(0)
                    .get("message")
                    .asText())
            .contains("distinct GPUs per minute the intake takes from team 'upstage'");
      }
      assertThat(pipeline.healthy()).as("every job and the sink still run").isTrue();
    }
  }

  /**
   * Waits until every record the flooder sent is either on the attributed topic or held in the
   * quarantine, reading both as they fill; returns the quarantined ones.
   */
  private static List<ConsumerRecord<byte[], byte[]>> awaitAccounted(
      LocalStack stack, Topics topics, long simulatedPerTeam) {
    Map<String, Object> c = new java.util.HashMap<>(stack.kafkaClientConfig());
    c.put(
        org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
    List<ConsumerRecord<byte[], byte[]>> held = new java.util.ArrayList<>();
    long[] passed = {0};
    try (var consumer =
        new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(
            c,
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
      List<org.apache.kafka.common.TopicPartition> parts = new java.util.ArrayList<>();
      for (var t : List.of(topics.quarantine, topics.gpuSamples)) {
        for (int p = 0; p < t.partitions(); p++) {
          parts.add(new org.apache.kafka.common.TopicPartition(t.name(), p));
        }
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      var samples =
          topics
              .gpuSamples
              .valueSerde(
                  Map.of(
                      kai.telemetry.config.CommonSettings.SCHEMA_REGISTRY_URL,
                      stack.schemaRegistryUrl()))
              .deserializer();
      long[] lastReport = {System.nanoTime()};
      Await.until(
          "every flooded record passed or quarantined",
          Duration.ofSeconds(240),
          () -> {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
              if (r.topic().equals(topics.quarantine.name())) {
                held.add(r);
              } else if (samples.deserialize(r.topic(), r.value()).getTeam().equals(FLOODER)) {
                passed[0]++;
              }
            }
            if (System.nanoTime() - lastReport[0] > 10_000_000_000L) {
              lastReport[0] = System.nanoTime();
              System.out.printf(
                  "flood: %d passed, %d quarantined so far%n", passed[0], held.size());
            }
            return held.size() + passed[0] == FLOOD + simulatedPerTeam;
          });
    }
    return held;
  }

  /** As the flooding team, straight to its intake: 200,000 samples of made-up GPUs. */
  private static void flood(PipelineRunner pipeline, Topics topics) {
    Map<String, Object> settings = pipeline.teamSettings(FLOODER);
    settings.put(CollectorConfig.TEAM, FLOODER);
    CollectorConfig config = new CollectorConfig(settings);
    String topic = topics.team(FLOODER).gpuSamples.name();
    java.util.Random random = new java.util.Random(7);
    try (AvroSerializer<SpecificRecord> avro = new AvroSerializer<>();
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(
                config.producerConfig("flood", null),
                new StringSerializer(),
                new ByteArraySerializer())) {
      avro.configure(config.serdeConfig(), false);
      for (int i = 0; i < FLOOD; i++) {
        String gpu = "GPU-" + new UUID(random.nextLong(), random.nextLong());
        GpuSample s =
            GpuSample.newBuilder()
                .setTeam(FLOODER)
                .setCluster(FLOODER + "-c1")
                .setNode(FLOOD_NODE)
                .setGpuUuid(gpu)
                .setGpuIndex(0)
                .setTsMs(START_MS + (long) i * (TICKS * 10_000L) / FLOOD)
                .setUtilizationPct(50.0)
                .build();
        producer.send(new ProducerRecord<>(topic, gpu, avro.serialize(topic, s)));
      }
      producer.flush();
    }
  }
}
