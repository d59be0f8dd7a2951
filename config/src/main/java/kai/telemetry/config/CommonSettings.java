package kai.telemetry.config;

import java.util.Map;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.RegistrySerdeConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The settings every deployable shares: where Kafka and the registry are, and the topic prefix. */
public final class CommonSettings {
  public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
  public static final String SCHEMA_REGISTRY_URL = RegistrySerdeConfig.SCHEMA_REGISTRY_URL;
  public static final String TOPIC_PREFIX = "topic.prefix";
  public static final String REGISTRY_USER_INFO = "schema.registry.basic.auth.user.info";
  public static final String REGISTRY_TOKEN = "schema.registry.bearer.auth.token";
  public static final String REGISTRY_AUTO_REGISTER = "schema.registry.auto.register";

  private CommonSettings() {}

  /** The topic catalogue under the deployment's topic prefix. */
  public static Topics topics(AbstractConfig config) {
    return Topics.withPrefix(config.getString(TOPIC_PREFIX));
  }

  /** The settings of the registry serdes: where, with which credentials, whether to register. */
  public static Map<String, Object> serdeConfig(AbstractConfig config) {
    Map<String, Object> serde = new java.util.HashMap<>();
    serde.put(SCHEMA_REGISTRY_URL, config.getString(SCHEMA_REGISTRY_URL));
    serde.put(RegistrySerdeConfig.AUTO_REGISTER_SCHEMAS, config.getBoolean(REGISTRY_AUTO_REGISTER));
    Password userInfo = config.getPassword(REGISTRY_USER_INFO);
    Password token = config.getPassword(REGISTRY_TOKEN);
    if (userInfo != null && token != null) {
      throw new ConfigException(
          REGISTRY_USER_INFO, "(hidden)", "set either it or " + REGISTRY_TOKEN + ", not both");
    }
    if (userInfo != null) {
      serde.put(RegistrySerdeConfig.BASIC_AUTH_CREDENTIALS_SOURCE, "USER_INFO");
      serde.put(RegistrySerdeConfig.BASIC_AUTH_USER_INFO, userInfo.value());
    }
    if (token != null) {
      serde.put(RegistrySerdeConfig.BEARER_AUTH_CREDENTIALS_SOURCE, "STATIC_TOKEN");
      serde.put(RegistrySerdeConfig.BEARER_AUTH_TOKEN, token.value());
    }
    return Map.copyOf(serde);
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
            REGISTRY_USER_INFO,
            Type.PASSWORD,
            null,
            Importance.HIGH,
            "user:password for the registry's HTTP basic authentication (Confluent's USER_INFO).")
        .define(
            REGISTRY_TOKEN,
            Type.PASSWORD,
            null,
            Importance.HIGH,
            "A static bearer token for the registry, instead of basic authentication.")
        .define(
            REGISTRY_AUTO_REGISTER,
            Type.BOOLEAN,
            true,
            Importance.HIGH,
            "Whether producers register their schemas. Production: false, and kai register-schemas"
                + " registers them as a deploy step with the program office's credentials.")
        .define(
            TOPIC_PREFIX,
            Type.STRING,
            "",
            Importance.LOW,
            "Prefix of every topic name, to run several isolated deployments on one cluster.");
  }
}
