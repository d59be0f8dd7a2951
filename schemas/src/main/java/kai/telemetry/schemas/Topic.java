package kai.telemetry.schemas;

import java.util.Map;
import java.util.Optional;
import kai.telemetry.schemas.registry.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * One topic of the pipeline: its name, how its keys and values are encoded, and how it is created.
 *
 * @param name full topic name
 * @param keyFormat encoding of record keys
 * @param valueFormat encoding of record values
 * @param partitions partitions to create it with
 * @param compacted true for compacted reference topics, false for time-retained event topics
 * @param retentionMs how long an event topic keeps its records ({@code retention.ms}); -1 for a
 *     compacted topic, which keeps each key's latest record for good
 */
public record Topic<K, V>(
    String name,
    Format<K> keyFormat,
    Format<V> valueFormat,
    int partitions,
    boolean compacted,
    long retentionMs) {

  /**
   * Event topics keep 30 days: every consumer reads within minutes, and ClickHouse keeps the
   * history; a backfill older than this must be imported with a longer retention (see
   * OPERATIONS.md).
   */
  public static final long DEFAULT_RETENTION_MS = 30L * 24 * 3_600_000;

  /** A topic with the default retention of its kind. */
  public Topic(
      String name, Format<K> keyFormat, Format<V> valueFormat, int partitions, boolean compacted) {
    this(
        name, keyFormat, valueFormat, partitions, compacted, compacted ? -1 : DEFAULT_RETENTION_MS);
  }

  /** This topic with another retention. */
  public Topic<K, V> retainedFor(java.time.Duration retention) {
    return new Topic<>(name, keyFormat, valueFormat, partitions, compacted, retention.toMillis());
  }

  /** The configs the topic is created with, and kept at by provision-kafka. */
  public Map<String, String> configs() {
    return compacted
        ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)
        : Map.of(
            TopicConfig.CLEANUP_POLICY_CONFIG,
            TopicConfig.CLEANUP_POLICY_DELETE,
            TopicConfig.RETENTION_MS_CONFIG,
            Long.toString(retentionMs));
  }

  /** How a key or value is encoded on the wire. */
  public sealed interface Format<T> {
    /** UTF-8 string. */
    record Utf8() implements Format<String> {}

    /** Raw bytes, kept as they came (dead-letter topics). */
    record Bytes() implements Format<byte[]> {}

    /** Avro in the Confluent wire format, schema held by the registry. */
    record Avro<T extends SpecificRecord>(Class<T> type) implements Format<T> {}
  }

  public static final Format<String> UTF8 = new Format.Utf8();
  public static final Format<byte[]> BYTES = new Format.Bytes();

  public static <T extends SpecificRecord> Format<T> avro(Class<T> type) {
    return new Format.Avro<>(type);
  }

  /** A serde for this topic's keys; {@code serdeConfig} must hold schema.registry.url for Avro. */
  public Serde<K> keySerde(Map<String, ?> serdeConfig) {
    return serde(keyFormat, serdeConfig, true);
  }

  /**
   * A serde for this topic's values; {@code serdeConfig} must hold schema.registry.url for Avro.
   */
  public Serde<V> valueSerde(Map<String, ?> serdeConfig) {
    return serde(valueFormat, serdeConfig, false);
  }

  /** The Avro class of the values, if the values are Avro. */
  public Optional<Class<? extends SpecificRecord>> valueAvroType() {
    return valueFormat instanceof Format.Avro<?> avro ? Optional.of(avro.type()) : Optional.empty();
  }

  public NewTopic newTopic(short replicationFactor) {
    return new NewTopic(name, partitions, replicationFactor).configs(configs());
  }

  @SuppressWarnings("unchecked")
  private static <T> Serde<T> serde(Format<T> format, Map<String, ?> config, boolean isKey) {
    Serde<?> serde =
        switch (format) {
          case Format.Utf8 u -> Serdes.String();
          case Format.Bytes b -> Serdes.ByteArray();
          case Format.Avro<?> a -> new AvroSerde<>(a.type());
        };
    serde.configure(config, isKey);
    return (Serde<T>) serde;
  }
}
