package kai.telemetry.config;

import java.util.Map;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.RegistrySerdeConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/** The settings every deployable shares: where Kafka and the registry are, and the topic prefix. */
public final class CommonSettings {
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = RegistrySerdeConfig.SCHEMA_REGISTRY_URL;
  public static final String TOPIC_PREFIX = "topic.prefix";

  private CommonSettings() {}

  /** The topic catalogue under the deployment's topic prefix. */
  public static Topics topics(AbstractConfig config) {
    return Topics.withPrefix(config.getString(TOPIC_PREFIX));
  }

  /** The settings of the registry serdes. */
  public static Map<String, Object> serdeConfig(AbstractConfig config) {
    return Map.of(SCHEMA_REGISTRY_URL, config.getString(SCHEMA_REGISTRY_URL));
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
