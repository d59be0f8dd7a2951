package kai.telemetry.sinks.clickhouse;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import kai.telemetry.schemas.Topic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Dead letters to a Kafka topic: original key and value bytes, reason and source in headers. */
public final class KafkaDeadLetters implements DeadLetters {
  public static final String REASON = "kai.dlq.reason";
  public static final String SOURCE_TOPIC = "kai.dlq.source.topic";
  public static final String SOURCE_PARTITION = "kai.dlq.source.partition";
  public static final String SOURCE_OFFSET = "kai.dlq.source.offset";

  private final Topic<byte[], byte[]> topic;
  private final KafkaProducer<byte[], byte[]> producer;
  private final java.util.concurrent.atomic.AtomicReference<Exception> failure =
      new java.util.concurrent.atomic.AtomicReference<>();

  /** {@code producerConfig}: from {@code SinkConfig.deadLetterProducerConfig()}. */
  public KafkaDeadLetters(Map<String, Object> producerConfig, Topic<byte[], byte[]> topic) {
    this.topic = topic;
    this.producer =
        new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Override
  public void send(Source source, String reason) {
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON, reason.getBytes(StandardCharsets.UTF_8));
    headers.add(SOURCE_TOPIC, source.topic().getBytes(StandardCharsets.UTF_8));
    headers.add(
        SOURCE_PARTITION, Integer.toString(source.partition()).getBytes(StandardCharsets.UTF_8));
    headers.add(SOURCE_OFFSET, Long.toString(source.offset()).getBytes(StandardCharsets.UTF_8));
    producer.send(
        new ProducerRecord<>(
            topic.name(), null, source.timestamp(), source.key(), source.value(), headers),
        (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  @Override
  public void flush() {
    producer.flush();
    Exception e = failure.getAndSet(null);
    if (e != null) {
      throw new IllegalStateException(
          "dead-letter topic " + topic.name() + " did not take a record: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
