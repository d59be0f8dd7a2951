package kai.telemetry.devtools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.schemas.Topic;
import kai.telemetry.stack.Await;
import kai.telemetry.stack.LocalStack;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/** A whole topic's values, committed records only, as a consumer of the real broker sees them. */
final class TopicContents {
  private TopicContents() {}

  static <V> List<V> readAll(LocalStack stack, Topic<String, V> topic) {
    return records(stack, topic).stream().map(ConsumerRecord::value).toList();
  }

  /** Every committed record of {@code topic}, headers included. */
  static <K, V> List<ConsumerRecord<K, V>> records(LocalStack stack, Topic<K, V> topic) {
    Map<String, Object> c = new HashMap<>();
    c.putAll(stack.kafkaClientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    Map<String, Object> serde =
        Map.of(CommonSettings.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
    List<ConsumerRecord<K, V>> out = new ArrayList<>();
    try (KafkaConsumer<K, V> consumer =
        new KafkaConsumer<>(
            c, topic.keySerde(serde).deserializer(), topic.valueSerde(serde).deserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (int p = 0; p < topic.partitions(); p++) {
        parts.add(new TopicPartition(topic.name(), p));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      Await.until(
          topic.name() + " read to its end",
          Duration.ofSeconds(30),
          () -> {
            for (ConsumerRecord<K, V> r : consumer.poll(Duration.ofMillis(100))) {
              out.add(r);
            }
            return parts.stream().allMatch(p -> consumer.position(p) >= end.get(p));
          });
    }
    return out;
  }
}
