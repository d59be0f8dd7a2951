package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topics;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import kai.telemetry.stack.RealStackExtension;
import kai.telemetry.stack.TestNamespace;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The sink on the real broker, registry and ClickHouse: good rows land, poison goes to the DLQ. */
@ExtendWith(RealStackExtension.class)
class ClickHouseSinkIT {
  private final TestNamespace ns = TestNamespace.of(ClickHouseSinkIT.class);

  private static GpuSample sample(String gpu, long ts, Double util) {
    return GpuSample.newBuilder()
        .setTeam("sk-telecom")
        .setCluster("skt-c1")
        .setNode("n7")
        .setGpuUuid(gpu)
        .setGpuIndex(7)
        .setTsMs(ts)
        .setUtilizationPct(util)
        .setPowerW(null)
        .build();
  }

  @Test
  void goodRecordsLandAndAPoisonRecordIsDeadLetteredWithItsBytesAndReason(LocalStack stack)
      throws Exception {
    Topics topics = Topics.withPrefix(ns.topicPrefix());
    stack.kafka().createTopics(topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    var valueSerializer = topics.gpuSamples.valueSerde(serde).serializer();
    byte[] poison = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(
            stack.kafkaClientConfig(), new ByteArraySerializer(), new ByteArraySerializer())) {
      String t = topics.gpuSamples.name();
      producer.send(
          new ProducerRecord<>(
              t, 0, null, valueSerializer.serialize(t, sample("G1", 1_000, 10.0))));
      producer.send(new ProducerRecord<>(t, 0, null, poison));
      producer.send(
          new ProducerRecord<>(
              t, 0, null, valueSerializer.serialize(t, sample("G1", 2_000, 20.0))));
      // A GPU whose exporter reports no utilization lands with it null, never 0.
      GpuSample noUtil = sample("G2", 2_000, null);
      noUtil.setK8sPod("solar-ft-7-worker-0");
      producer.send(new ProducerRecord<>(t, 0, null, valueSerializer.serialize(t, noUtil)));
      // A team's credentials can write raw records without a collector: an id that would break
      // out of a dashboard's quoted SQL must not land.
      GpuSample hostile = sample("G3", 3_000, 40.0);
      hostile.setTeam("sk-telecom' OR '1'='1");
      producer.send(new ProducerRecord<>(t, 0, null, valueSerializer.serialize(t, hostile)));
      producer.flush();
    }

    Map<String, Object> settings = new HashMap<>();
    settings.putAll(stack.deployableSettings());
    settings.put(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    settings.put(CommonSettings.TOPIC_PREFIX, ns.topicPrefix());
    settings.put(SinkConfig.CLICKHOUSE_URL, stack.clickhouse().jdbcUrl());
    settings.put(SinkConfig.CLICKHOUSE_HTTP_URL, stack.clickhouse().httpUrl());
    settings.put(SinkConfig.CLICKHOUSE_DATABASE, ns.database());
    settings.put(SinkConfig.GROUP_ID, ns.topicPrefix() + "sink");
    settings.put(SinkConfig.BATCH_MAX_MS, 100L);
    settings.put(SinkConfig.METRICS_PORT, 0);
    ClickHouseSink sink = ClickHouseSinkApp.create(new SinkConfig(settings));
    Thread thread = new Thread(sink, "sink-under-test");
    thread.start();
    try (ClickHouseHttp ch = new ClickHouseHttp(stack.clickhouse().httpUrl())) {
      String table = ns.database() + ".gpu_samples";
      Await.until(
          "three rows in " + table,
          Duration.ofSeconds(30),
          () -> ch.count("SELECT count() FROM " + table) == 3);
      List<JsonNode> rows =
          ch.rows(
              "SELECT gpu_uuid, ts_ms, utilization_pct, power_w, k8s_pod FROM "
                  + table
                  + " ORDER BY gpu_uuid, ts_ms");
      assertThat(rows)
          .extracting(
              r ->
                  r.get("gpu_uuid").asText()
                      + "/"
                      + r.get("ts_ms").asLong()
                      + "/"
                      + r.get("utilization_pct").asText()
                      + "/"
                      + r.get("k8s_pod").asText())
          .containsExactly(
              "G1/1000/10/null", "G1/2000/20/null", "G2/2000/null/solar-ft-7-worker-0");
      assertThat(rows).allSatisfy(r -> assertThat(r.get("power_w").isNull()).isTrue());
      // The same outcome, as Prometheus sees it.
      String metrics = scrape(sink);
      assertThat(metrics)
          .contains("kai_sink_records_in_total{topic=\"" + topics.gpuSamples.name() + "\"} 5.0")
          .contains("kai_sink_rows_written_total{table=\"gpu_samples\"} 3.0")
          .contains("kai_sink_dead_lettered_total{topic=\"" + topics.gpuSamples.name() + "\"} 2.0")
          .contains(
              "kai_sink_consumer_lag_records{partition=\"0\",topic=\""
                  + topics.gpuSamples.name()
                  + "\"} 0.0");
    } finally {
      assertThat(sink.stopAndAwait(Duration.ofSeconds(30))).isTrue();
      sink.close();
    }

    List<ConsumerRecord<byte[], byte[]>> dead = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            withGroup(stack.kafkaClientConfig(), ns.topicPrefix() + "dlq-reader"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.sinkDeadLetters.name()));
      Await.until(
          "the poison and the hostile record in the DLQ",
          Duration.ofSeconds(20),
          () -> {
            consumer.poll(Duration.ofMillis(200)).forEach(dead::add);
            return dead.size() >= 2;
          });
    }
    assertThat(dead).hasSize(2);
    assertThat(header(dead.get(1), KafkaDeadLetters.REASON))
        .contains("team 'sk-telecom' OR '1'='1' is not a team id");
    assertThat(header(dead.get(1), KafkaDeadLetters.SOURCE_OFFSET)).isEqualTo("4");
    ConsumerRecord<byte[], byte[]> d = dead.get(0);
    assertThat(d.value()).isEqualTo(poison);
    assertThat(header(d, KafkaDeadLetters.SOURCE_TOPIC)).isEqualTo(topics.gpuSamples.name());
    assertThat(header(d, KafkaDeadLetters.SOURCE_PARTITION)).isEqualTo("0");
    assertThat(header(d, KafkaDeadLetters.SOURCE_OFFSET)).isEqualTo("1");
    assertThat(header(d, KafkaDeadLetters.REASON))
        .startsWith("undecodable record: not in the registry wire format");
  }

  private static String scrape(ClickHouseSink sink) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      return http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + sink.metrics().port() + "/metrics"))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private static Map<String, Object> withGroup(Map<String, Object> client, String group) {
    Map<String, Object> c = new java.util.HashMap<>(client);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    return c;
  }
}
