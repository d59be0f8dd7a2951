package kai.telemetry.config;

import kai.telemetry.schemas.registry.RegistrySerdeConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.serialization.StringSerializer;

/** The settings every deployable shares: where Kafka and the registry are, and the topic prefix. */
public final class CommonSettings {
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = RegistrySerdeConfig.SCHEMA_REGISTRY_URL;
  public static final String TOPIC_PREFIX = "topic.prefix";

  private CommonSettings() {}

  /**
   * The pipeline's producer settings: idempotent, acks=all, lz4, batched; then {@code kafka.*}
   * overrides from {@code config}. Keys are strings; values use the caller's serializer.
   */
  public static java.util.Map<String, Object> producerConfig(
      org.apache.kafka.common.config.AbstractConfig config, String clientId) {
    java.util.Map<String, Object> p = new java.util.HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.getString(BOOTSTRAP_SERVERS));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    p.putAll(config.originalsWithPrefix(ConfigLoader.CLIENT_OVERRIDE_PREFIX));
    return p;
  }

  /** Adds the shared keys to {@code def}. */
  public static ConfigDef define(ConfigDef def) {
    return def.define(
            BOOTSTRAP_SERVERS,
            Type.STRING,
            "127.0.0.1:19092",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Kafka bootstrap servers.")
        .define(
            SCHEMA_REGISTRY_URL,
            Type.STRING,
            "http://127.0.0.1:18081/apis/ccompat/v7",
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            "Base URL of a Confluent-compatible schema registry API (Confluent's, or Apicurio's"
                + " /apis/ccompat/v7).")
        .define(
            TOPIC_PREFIX,
            Type.STRING,
            "",
            Importance.LOW,
            "Prefix of every topic name, to run several isolated deployments on one cluster.");
  }
}
