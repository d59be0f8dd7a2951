package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ClickHouse refuses the sink's writes for a reason that is not the rows' (here the table is gone,
 * renamed away by an operator): the sink stops without dead-lettering or committing anything;
 * started again once the table is back, it lands every record exactly once.
 */
@ExtendWith(RealStackExtension.class)
class SinkRefusedIT {
  private static final int RECORDS = 500;
  private final TestNamespace ns = TestNamespace.of(SinkRefusedIT.class);

  @Test
  void aTableThatIsGoneStopsTheSinkAndSkipsNothing(LocalStack stack) throws Exception {
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
                    .setUtilizationPct(50)
                    .build()));
      }
    }

    String group = ns.topicPrefix() + "sink";
    Map<String, Object> settings = new HashMap<>(stack.deployableSettings());
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    settings.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    settings.put(SinkConfig.CLICKHOUSE_DATABASE, ns.database());
    settings.put(SinkConfig.GROUP_ID, group);
    settings.put(SinkConfig.BATCH_MAX_MS, 200L);
    settings.put(SinkConfig.METRICS_PORT, 0);
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());

    String table = ns.database() + ".gpu_samples";
    ClickHouseSink refused = ClickHouseSinkApp.create(new SinkConfig(settings)); // migrates
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      ch.execute("RENAME TABLE " + table + " TO " + table + "_away");
    }
    Thread refusedThread = new Thread(refused, "sink-without-its-table");
    Throwable[] stopped = new Throwable[1];
    refusedThread.setUncaughtExceptionHandler((t, e) -> stopped[0] = e);
    refusedThread.start();
    refusedThread.join(60_000);
    assertThat(refusedThread.isAlive()).as("the sink stops").isFalse();
    assertThat(stopped[0])
        .hasMessageContaining("stopping without committing")
        .hasMessageContaining("Code: 60");
    assertThat(refused.metrics().deadLettered()).as("nothing dead-lettered").isZero();
    refused.close();
    try (Admin admin = stack.kafka().admin()) {
      assertThat(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get())
          .as("nothing committed")
          .allSatisfy((tp, offset) -> assertThat(offset == null || offset.offset() == 0).isTrue());
    }

    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      ch.execute("RENAME TABLE " + table + "_away TO " + table); // the operator's fix
    }
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(settings));
    Thread sinkThread = new Thread(sink, "sink-with-its-table");
    sinkThread.start();
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Await.until(
          "every sample, once",
          Duration.ofSeconds(60),
          () -> ch.count("SELECT count() FROM " + table) == RECORDS);
      assertThat(sink.metrics().deadLettered()).isZero();
    } finally {
      assertThat(sink.stopAndAwait(Duration.ofSeconds(60))).isTrue();
      sink.close();
    }
  }
}
