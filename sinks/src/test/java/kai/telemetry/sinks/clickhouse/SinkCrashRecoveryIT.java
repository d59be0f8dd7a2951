package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The sink process is SIGKILLed three times while data flows and restarted; the table read through
 * FINAL then holds every produced sample exactly once, with its values.
 */
@ExtendWith(RealStackExtension.class)
class SinkCrashRecoveryIT {
  /**
   * At least this many samples; the stream goes on until the last kill, however long that takes.
   */
  private static final int MIN_RECORDS = 30_000;

  private final TestNamespace ns = TestNamespace.of(SinkCrashRecoveryIT.class);

  @Test
  void killedMidStreamAndRestartedLandsEverySampleExactlyOnce(LocalStack stack) throws Exception {
    // Kept under target/ so that a failure leaves the sink processes' logs to read.
    Path dir = Path.of(System.getProperty("kai.test.dir", "target/it"), ns.database());
    java.nio.file.Files.createDirectories(dir);
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    String table = ns.database() + ".gpu_samples";
    double[] utilSum = new double[1];
    int[] produced = new int[1];
    java.util.concurrent.atomic.AtomicBoolean killsDone =
        new java.util.concurrent.atomic.AtomicBoolean();
    Thread producer =
        new Thread(
            () -> {
              try (KafkaProducer<String, GpuSample> p =
                  new KafkaProducer<>(
                      withLinger(stack.kafkaClientConfig()),
                      topics.gpuSamples.keySerde(serde).serializer(),
                      topics.gpuSamples.valueSerde(serde).serializer())) {
                for (int i = 0; i < MIN_RECORDS || !killsDone.get(); i++) {
                  String gpu = "GPU-" + (i % 64);
                  double util = (i * 7) % 101;
                  utilSum[0] += util;
                  p.send(
                      new ProducerRecord<>(
                          topics.gpuSamples.name(),
                          gpu,
                          GpuSample.newBuilder()
                              .setTeam("upstage")
                              .setCluster("c1")
                              .setNode("n" + (i % 8))
                              .setGpuUuid(gpu)
                              .setGpuIndex(i % 8)
                              .setTsMs(1_768_467_600_000L + (i / 64) * 1_000L)
                              .setUtilizationPct(util)
                              .build()));
                  produced[0] = i + 1;
                  if (i % 1_000 == 999) {
                    p.flush();
                    Thread.sleep(100); // a steady stream, so the kills land mid-stream
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "steady-producer");
    producer.start();

    List<String> args = new ArrayList<>();
    args.addAll(stack.deployableArgs());
    args.add(CommonSettings.SCHEMA_REGISTRY_URL + "=" + stack.schemaRegistryUrl());
    args.add(CommonSettings.TOPIC_PREFIX + "=" + ns.topicPrefix());
    args.add(SinkConfig.CLICKHOUSE_URL + "=" + stack.clickhouse().jdbcUrl());
    args.add(SinkConfig.CLICKHOUSE_HTTP_URL + "=" + stack.clickhouse().httpUrl());
    args.add(SinkConfig.CLICKHOUSE_DATABASE + "=" + ns.database());
    args.add(SinkConfig.GROUP_ID + "=" + ns.topicPrefix() + "sink");
    args.add(SinkConfig.BATCH_MAX_ROWS + "=2000");
    args.add(SinkConfig.BATCH_MAX_MS + "=400");
    args.add(SinkConfig.METRICS_PORT + "=0");
    // The samples are stamped in January 2026: keep them, whatever the default retention says.
    args.add(SinkConfig.RETENTION_GPU_SAMPLES_DAYS + "=0");
    // A killed member holds its partitions until its session times out: keep that short here.
    args.add("kafka.session.timeout.ms=6000");
    args.add("kafka.heartbeat.interval.ms=1000");

    List<Process> children = new ArrayList<>();
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      long seen = 0;
      for (int kill = 1; kill <= 3; kill++) {
        Path log = dir.resolve("sink-" + kill + ".log");
        Process sink = sink(args, log);
        children.add(sink);
        long before = seen;
        try {
          seen =
              Await.value(
                  "the sink to land more rows (run " + kill + ")",
                  Duration.ofSeconds(120),
                  () -> rows(ch, table),
                  n -> n > before + 1_000);
        } catch (IllegalStateException e) {
          throw new AssertionError(
              e.getMessage() + "; sink log " + log + ":\n" + java.nio.file.Files.readString(log),
              e);
        }
        sink.destroyForcibly(); // SIGKILL: no flush, no commit
        assertThat(sink.waitFor(10, TimeUnit.SECONDS)).isTrue();
      }
      killsDone.set(true);
      producer.join(120_000);
      assertThat(producer.isAlive()).isFalse();
      int records = produced[0];
      assertThat(records).isGreaterThanOrEqualTo(MIN_RECORDS);
      Process last = sink(args, dir.resolve("sink-final.log"));
      children.add(last);
      Await.until(
          "every sample once",
          Duration.ofSeconds(120),
          () -> ch.count("SELECT count() FROM " + table + " FINAL") == records);
      last.destroy(); // SIGTERM: graceful
      assertThat(last.waitFor(30, TimeUnit.SECONDS)).isTrue();

      assertThat(ch.count("SELECT count() FROM " + table + " FINAL")).isEqualTo(records);
      assertThat(ch.count("SELECT uniqExact(gpu_uuid, ts_ms) FROM " + table)).isEqualTo(records);
      assertThat(
              Double.parseDouble(
                  ch.execute(
                          "SELECT sum(utilization_pct) FROM "
                              + table
                              + " FINAL FORMAT TabSeparated")
                      .trim()))
          .isEqualTo(utilSum[0]);
    } finally {
      children.forEach(Process::destroyForcibly); // never leave a sink behind, even on failure
      producer.interrupt();
    }
  }

  private static long rows(ClickHouseHttp ch, String table) {
    try {
      return ch.count("SELECT count() FROM " + table);
    } catch (RuntimeException e) {
      return 0; // the table appears when the first sink applies its migrations
    }
  }

  private static Process sink(List<String> args, Path log) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ClickHouseSinkApp.class.getName());
    cmd.addAll(args);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().remove("LD_PRELOAD");
    return pb.start();
  }

  private static Map<String, Object> withLinger(Map<String, Object> client) {
    Map<String, Object> c = new java.util.HashMap<>(client);
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    return c;
  }
}
