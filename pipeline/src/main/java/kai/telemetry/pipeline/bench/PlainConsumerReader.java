package kai.telemetry.pipeline.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * The KPI benchmark's baseline, run in a JVM of its own: a plain consumer that deserializes the GPU
 * samples topic and does nothing else, committing its offsets as often as the KPI jobs commit, so
 * that both are timed the same way (by their committed offsets).
 *
 * <p>Arguments: {@code bootstrap.servers=}, {@code schema.registry.url=}, {@code topic.prefix=},
 * {@code group.id=}, {@code records=N}, {@code commit.interval.ms=}.
 */
public final class PlainConsumerReader {
  private PlainConsumerReader() {}

  public static void main(String[] args) {
    Map<String, String> a = BenchInput.arguments(args);
    long records = Long.parseLong(a.get("records"));
    Topic<String, GpuSample> topic =
        Topics.withPrefix(a.get(CommonSettings.TOPIC_PREFIX)).gpuSamples;
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, a.get(CommonSettings.SCHEMA_REGISTRY_URL));
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, a.get(CommonSettings.BOOTSTRAP_SERVERS));
    c.put(ConsumerConfig.GROUP_ID_CONFIG, a.get("group.id"));
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
    c.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, a.get("commit.interval.ms"));
    long n = 0;
    try (KafkaConsumer<String, GpuSample> consumer =
        new KafkaConsumer<>(
            c, topic.keySerde(serde).deserializer(), topic.valueSerde(serde).deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      while (n < records) {
        n += consumer.poll(Duration.ofMillis(500)).count();
      }
      consumer.commitSync();
    }
    System.out.printf("deserialized %,d records%n", n);
  }
}
