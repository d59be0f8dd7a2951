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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** ClickHouse goes away for 30 s while samples flow; the sink retries and loses nothing. */
@ExtendWith(RealStackExtension.class)
class ClickHouseOutageIT {
  private static final int RECORDS = 12_000;
  private final TestNamespace ns = TestNamespace.of(ClickHouseOutageIT.class);

  @Test
  void aThirtySecondOutageLosesNothing(LocalStack stack) throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    double[] utilSum = new double[1];
    Thread producer =
        new Thread(
            () -> {
              try (KafkaProducer<String, GpuSample> p =
                  new KafkaProducer<>(
                      stack.kafkaClientConfig(),
                      topics.gpuSamples.keySerde(serde).serializer(),
                      topics.gpuSamples.valueSerde(serde).serializer())) {
                for (int i = 0; i < RECORDS; i++) {
                  String gpu = "GPU-" + (i % 32);
                  double util = (i * 3) % 101;
                  utilSum[0] += util;
                  p.send(
                      new ProducerRecord<>(
                          topics.gpuSamples.name(),
                          gpu,
                          GpuSample.newBuilder()
                              .setTeam("nc-ai")
                              .setCluster("nc-c1")
                              .setNode("n1")
                              .setGpuUuid(gpu)
                              .setGpuIndex(i % 8)
                              .setTsMs(1_768_467_600_000L + (i / 32) * 1_000L)
                              .setUtilizationPct(util)
                              .build()));
                  if (i % 300 == 299) {
                    p.flush();
                    Thread.sleep(1_000); // about 40 s of steady flow
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "steady-producer");

    Map<String, Object> settings = sinkSettings(stack, ns);
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(settings));
    Thread sinkThread = new Thread(sink, "sink-under-test");
    sinkThread.start();
    producer.start();
    String table = ns.database() + ".gpu_samples";
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      Await.until(
          "the first rows",
          Duration.ofSeconds(30),
          () -> ch.count("SELECT count() FROM " + table) > 0);
      long outageStart = System.nanoTime();
      stack.clickhouse().stop();
      try {
        Await.until(
            "30 s of outage with the sink retrying and alive",
            Duration.ofSeconds(60),
            () -> {
              assertThat(sinkThread.isAlive()).as("sink survives the outage").isTrue();
              return System.nanoTime() - outageStart >= Duration.ofSeconds(30).toNanos()
                  && sink.metrics().retries() > 0;
            });
      } finally {
        stack.clickhouse().restart();
      }
      producer.join(120_000);
      Await.until(
          "every sample after the outage",
          Duration.ofSeconds(120),
          () -> ch.count("SELECT count() FROM " + table + " FINAL") == RECORDS);
      assertThat(
              Double.parseDouble(
                  ch.execute(
                          "SELECT sum(utilization_pct) FROM "
                              + table
                              + " FINAL FORMAT TabSeparated")
                      .trim()))
          .isEqualTo(utilSum[0]);
      assertThat(sink.metrics().retries()).isPositive();
      assertThat(sink.metrics().deadLettered()).isZero();
    } finally {
      assertThat(sink.stopAndAwait(Duration.ofSeconds(60))).isTrue();
      sink.close();
    }
  }

  /**
   * Asked to stop (SIGTERM) while ClickHouse is down, the sink stops within seconds instead of
   * retrying to the end of its budget, and commits nothing it did not land: a new sink of the same
   * group lands every sample once ClickHouse is back.
   */
  @Test
  void aStopDuringAnOutageEndsWithinSecondsAndLosesNothing(LocalStack stack) throws Exception {
    TestNamespace ns2 = TestNamespace.of(ClickHouseOutageIT.class);
    Topics topics = Topics.withPrefix(ns2.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    Map<String, Object> settings = sinkSettings(stack, ns2);
    settings.put(SinkConfig.RETENTION_GPU_SAMPLES_DAYS, 0); // the samples' dates are fixed, past
    try (KafkaProducer<String, GpuSample> p =
        new KafkaProducer<>(
            stack.kafkaClientConfig(),
            topics.gpuSamples.keySerde(serde).serializer(),
            topics.gpuSamples.valueSerde(serde).serializer())) {
      ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(settings));
      Thread sinkThread = new Thread(sink, "sink-stopped-in-outage");
      sinkThread.start();
      String table = ns2.database() + ".gpu_samples";
      try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
        send(p, topics, 0, 50);
        Await.until(
            "the first 50 rows",
            Duration.ofSeconds(30),
            () -> ch.count("SELECT count() FROM " + table) == 50);
        stack.clickhouse().stop();
        try {
          send(p, topics, 50, 100);
          Await.until(
              "the sink retrying", Duration.ofSeconds(60), () -> sink.metrics().retries() > 0);
          long t0 = System.nanoTime();
          assertThat(sink.stopAndAwait(Duration.ofSeconds(15))).isTrue();
          long stopMs = (System.nanoTime() - t0) / 1_000_000;
          assertThat(stopMs).as("stop took %d ms", stopMs).isLessThan(10_000);
          sink.close();
        } finally {
          stack.clickhouse().restart();
        }
        ClickHouseSink again = ClickHouseSinkApp.create(new SinkConfig(settings));
        Thread againThread = new Thread(again, "sink-after-outage");
        againThread.start();
        try {
          Await.until(
              "all 100 samples once",
              Duration.ofSeconds(60),
              () -> ch.count("SELECT count() FROM " + table + " FINAL") == 100);
          assertThat(again.metrics().deadLettered()).isZero();
        } finally {
          assertThat(again.stopAndAwait(Duration.ofSeconds(30))).isTrue();
          again.close();
        }
      }
    }
  }

  /** The sink's settings for namespace {@code n}: small batches, short insert timeout. */
  private static Map<String, Object> sinkSettings(LocalStack stack, TestNamespace n) {
    Map<String, Object> settings = new HashMap<>(stack.deployableSettings());
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(CommonSettings.TOPIC_PREFIX, n.topicPrefix());
    settings.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    settings.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    settings.put(SinkConfig.CLICKHOUSE_DATABASE, n.database());
    settings.put(SinkConfig.GROUP_ID, n.topicPrefix() + "sink");
    settings.put(SinkConfig.BATCH_MAX_MS, 200L);
    settings.put(SinkConfig.METRICS_PORT, 0);
    settings.put(SinkConfig.INSERT_TIMEOUT_MS, 5_000);
    return settings;
  }

  private static void send(KafkaProducer<String, GpuSample> p, Topics topics, int from, int to) {
    for (int i = from; i < to; i++) {
      String gpu = "GPU-" + (i % 8);
      p.send(
          new ProducerRecord<>(
              topics.gpuSamples.name(),
              gpu,
              GpuSample.newBuilder()
                  .setTeam("nc-ai")
                  .setCluster("nc-c1")
                  .setNode("n1")
                  .setGpuUuid(gpu)
                  .setGpuIndex(i % 8)
                  .setTsMs(1_768_467_600_000L + i * 1_000L)
                  .setUtilizationPct(50.0)
                  .build()));
    }
    p.flush();
  }
}
