package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A fault that is not the records' (the registry out of reach, ClickHouse refusing the writes):
 * with 500 GPU samples waiting, a sink started under the fault stops with nothing dead-lettered and
 * nothing committed; once the fault is mended, a new sink lands every sample exactly once.
 */
final class SinkStopScenario {
  static final int RECORDS = 500;

  private SinkStopScenario() {}

  /**
   * @param faulty the sink's settings under the fault (from the good ones)
   * @param breakIt what breaks things once the sink has migrated its database
   * @param mend the operator's fix
   * @param says what the stop's message must contain besides "stopping without committing"
   */
  static void run(
      LocalStack stack,
      TestNamespace ns,
      UnaryOperator<Map<String, Object>> faulty,
      Runnable breakIt,
      Runnable mend,
      String says)
      throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    try (KafkaProducer<String, GpuSample> p =
        new KafkaProducer<>(
            stack.kafkaClientConfig(),
            topics.gpuSamples.keySerde(serde).serializer(),
            topics.gpuSamples.valueSerde(serde).serializer())) {
      for (int i = 0; i < RECORDS; i++) {
        String gpu = "GPU-" + (i % 16);
        p.send(
            new ProducerRecord<>(
                topics.gpuSamples.name(),
                gpu,
                GpuSample.newBuilder()
                    .setTeam("upstage")
                    .setCluster("c1")
                    .setNode("n1")
                    .setGpuUuid(gpu)
                    .setGpuIndex(i % 8)
                    .setTsMs(1_768_467_600_000L + i * 1_000L)
                    .setUtilizationPct(50.0)
                    .build()));
      }
    }

    String group = ns.topicPrefix() + "sink";
    Map<String, Object> settings = new HashMap<>(stack.deployableSettings());
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    settings.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    settings.put(SinkConfig.CLICKHOUSE_DATABASE, ns.database());
    settings.put(SinkConfig.GROUP_ID, group);
    settings.put(SinkConfig.BATCH_MAX_MS, 200L);
    settings.put(SinkConfig.METRICS_PORT, 0);

    ClickHouseSink stopped =
        ClickHouseSinkApp.create(new SinkConfig(faulty.apply(new HashMap<>(settings))));
    breakIt.run();
    Thread thread = new Thread(stopped, "sink-under-the-fault");
    Throwable[] why = new Throwable[1];
    thread.setUncaughtExceptionHandler((t, e) -> why[0] = e);
    thread.start();
    thread.join(60_000);
    assertThat(thread.isAlive()).as("the sink stops").isFalse();
    assertThat(why[0])
        .hasMessageContaining("stopping without committing")
        .hasMessageContaining(says);
    assertThat(stopped.metrics().deadLettered()).as("nothing dead-lettered").isZero();
    stopped.close();
    try (Admin admin = stack.kafka().admin()) {
      assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get())
          .as("nothing committed")
          .allSatisfy((tp, offset) -> assertThat(offset == null || offset.offset() == 0).isTrue());
    }

    mend.run();
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(settings));
    Thread sinkThread = new Thread(sink, "sink-after-the-fix");
    sinkThread.start();
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Await.until(
          "every sample, once",
          Duration.ofSeconds(60),
          () -> ch.count("SELECT count() FROM " + ns.database() + ".gpu_samples") == RECORDS);
      assertThat(sink.metrics().deadLettered()).isZero();
    } finally {
      assertThat(sink.stopAndAwait(Duration.ofSeconds(60))).isTrue();
      sink.close();
    }
  }
}
