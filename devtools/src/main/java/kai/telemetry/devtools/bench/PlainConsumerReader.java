package kai.telemetry.devtools.bench;

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
 * samples topic and does nothing else. It commits its offsets (asynchronously) every 100 ms, so
 * that it is timed the way the KPI jobs are, by its committed offsets, but finely: at its speed a
 * commit a second would leave only a few points to time it by. (Committing after every poll instead
 * halves its rate here: the broker writes every commit.)
 *
 * <p>Arguments: {@code bootstrap.servers=}, {@code schema.registry.url=}, {@code topic.prefix=},
 * {@code group.id=}, {@code records=N}.
 */
public final class PlainConsumerReader {
  private static final long COMMIT_EVERY_NS = 100_000_000L;

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
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    a.forEach( // kafka.*: the broker's credentials, as the jobs get them
        (k, v) -> {
          if (k.startsWith("kafka.")) {
            c.put(k.substring("kafka.".length()), v);
          }
        });
    long n = 0;
    long lastCommitNs = System.nanoTime();
    try (KafkaConsumer<String, GpuSample> consumer =
        new KafkaConsumer<>(
            c, topic.keySerde(serde).deserializer(), topic.valueSerde(serde).deserializer())) {
      consumer.subscribe(List.of(topic.name()));
      while (n < records) {
        int polled = consumer.poll(Duration.ofMillis(500)).count();
        n += polled;
        if (polled > 0 && System.nanoTime() - lastCommitNs >= COMMIT_EVERY_NS) {
          consumer.commitAsync();
          lastCommitNs = System.nanoTime();
        }
      }
      consumer.commitSync();
    }
    System.out.printf("deserialized %,d records%n", n);
  }
}
