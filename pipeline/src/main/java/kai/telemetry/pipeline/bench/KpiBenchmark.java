package kai.telemetry.pipeline.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.producers.simulator.SimulatorConfig;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.StackHome;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.fleet.TeamFleetMinuteJob;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsResult;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * Throughput of the fleet KPI job (the heaviest: every GPU sample, two aggregation stages,
 * exactly-once) over a topic of GPU samples, next to a plain consumer that only deserializes the
 * same topic from the same local broker. Prints both and their ratio.
 *
 * <p>Arguments: {@code records=N} (default 500,000), {@code gpus=N} (default 2,000), {@code
 * guarantee=at_least_once} to compare, and {@code kafka.*} Streams overrides (e.g. {@code
 * kafka.statestore.cache.max.bytes=104857600}).
 */
public final class KpiBenchmark {
  private KpiBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchInput.arguments(args);
    long records = Long.parseLong(a.getOrDefault("records", "500000"));
    int gpus = Integer.parseInt(a.getOrDefault("gpus", "2000"));
    StackHome home = StackHome.locate();
    Path dir = home.dir().resolve("bench/kpi-" + ProcessHandle.current().pid());
    try (LocalStack stack = LocalStack.start(home, dir, LocalStack.StackPorts.free())) {
      Topics topics = Topics.withPrefix("bench.");
      stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
      Map<String, Object> common = new HashMap<>();
      common.put(CommonSettings.BOOTSTRAP_SERVERS, stack.bootstrapServers());
      common.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
      common.put(CommonSettings.TOPIC_PREFIX, "bench.");
      SimulatorConfig sim = new SimulatorConfig(common);
      Topic<String, GpuSample> topic = topics.gpuSamples;

      // The input: a simulated fleet, tick after tick, as much as asked for.
      int fleetGpus = BenchInput.produceGpuSamples(sim, topic, records, gpus);
      System.out.printf(
          "KPI benchmark: %,d GPU samples of %,d GPUs (30 s apart, one day of event time)%n",
          records, fleetGpus);

      double plain = plainConsumer(stack, topic, sim.serdeConfig(), records);
      System.out.printf("plain consumer (deserialize only):          %,12.0f records/s%n", plain);

      Map<String, Object> kpi = new HashMap<>(common);
      kpi.put(KpiStreamsConfig.APPLICATION_ID, "bench-kpi");
      kpi.put(KpiStreamsConfig.STATE_DIR, dir.resolve("streams-state").toString());
      if (a.containsKey("guarantee")) {
        kpi.put(KpiStreamsConfig.PROCESSING_GUARANTEE, a.get("guarantee"));
      }
      a.forEach(
          (k, v) -> {
            if (k.startsWith("kafka.")) {
              kpi.put(k, v);
            }
          });
      // The floor of any job here: Kafka Streams that only deserializes, under the same settings.
      double floor = deserializeOnlyStreams(stack, topic, new KpiStreamsConfig(kpi), records);
      System.out.printf(
          "Kafka Streams, deserialize only (same settings): %,8.0f records/s (ratio %.2f)%n",
          floor, floor / plain);

      long t0 = System.nanoTime();
      try (KafkaStreams job = TeamFleetMinuteJob.start(new KpiStreamsConfig(kpi))) {
        String group = "bench-kpi-" + TeamFleetMinuteJob.JOB;
        try (Admin admin = stack.kafka().admin()) {
          Await.until(
              "the fleet KPI job to consume every sample",
              Duration.ofMinutes(30),
              () -> committed(admin, group, topic.name()) >= records);
        }
        double rate = records / ((System.nanoTime() - t0) / 1e9);
        System.out.printf("fleet KPI job (2 stages, exactly_once_v2):  %,12.0f records/s%n", rate);
        System.out.printf("ratio: %.2f (target >= 0.50)%n", rate / plain);
        job.close(Duration.ofSeconds(30));
      }
    }
  }

  private static double plainConsumer(
      LocalStack stack, Topic<String, GpuSample> topic, Map<String, Object> serde, long records) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-plain");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    long n = 0;
    long t0 = System.nanoTime();
    try (KafkaConsumer<String, GpuSample> consumer =
        new KafkaConsumer<>(
            c, topic.keySerde(serde).deserializer(), topic.valueSerde(serde).deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      while (n < records) {
        n += consumer.poll(Duration.ofMillis(500)).count();
      }
    }
    return n / ((System.nanoTime() - t0) / 1e9);
  }

  private static double deserializeOnlyStreams(
      LocalStack stack, Topic<String, GpuSample> topic, KpiStreamsConfig config, long records) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            topic.name(),
            Consumed.with(
                topic.keySerde(config.serdeConfig()), topic.valueSerde(config.serdeConfig())))
        .foreach((k, v) -> {});
    String job = "floor";
    long t0 = System.nanoTime();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), config.streamsProperties(job))) {
      streams.start();
      String group = config.getString(KpiStreamsConfig.APPLICATION_ID) + "-" + job;
      try (Admin admin = stack.kafka().admin()) {
        Await.until(
            "the deserialize-only job to consume every sample",
            Duration.ofMinutes(30),
            () -> committed(admin, group, topic.name()) >= records);
      }
      double rate = records / ((System.nanoTime() - t0) / 1e9);
      streams.close(Duration.ofSeconds(30));
      return rate;
    }
  }

  private static long committed(Admin admin, String group, String topic) {
    try {
      ListConsumerGroupOffsetsResult r = admin.listConsumerGroupOffsets(group);
      Map<TopicPartition, OffsetAndMetadata> offsets = r.partitionsToOffsetAndMetadata().get();
      List<Long> values = new ArrayList<>();
      offsets.forEach(
          (tp, om) -> {
            if (tp.topic().equals(topic) && om != null) {
              values.add(om.offset());
            }
          });
      return values.stream().mapToLong(Long::longValue).sum();
    } catch (Exception e) {
      return 0;
    }
  }
}
