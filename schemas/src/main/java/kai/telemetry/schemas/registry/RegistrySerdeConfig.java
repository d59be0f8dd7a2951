package kai.telemetry.schemas.registry;

import java.util.Map;

/** The serde settings, named as Confluent's serializers name them so the two stay swappable. */
public final class RegistrySerdeConfig {
  /** Base URL of the registry's Confluent-compatible API. */
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

  /** Whether the serializer registers the writer schema (default true). */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  private RegistrySerdeConfig() {}

  static String url(Map<String, ?> configs) {
    Object url = configs.get(SCHEMA_REGISTRY_URL);
    if (url == null || url.toString().isBlank()) {
      throw new IllegalArgumentException(
          SCHEMA_REGISTRY_URL
              + " must be set for Avro serdes (e.g. http://127.0.0.1:8081/apis/ccompat/v7)");
    }
    return url.toString();
  }

  static boolean autoRegister(Map<String, ?> configs) {
    Object v = configs.get(AUTO_REGISTER_SCHEMAS);
    return v == null || Boolean.parseBoolean(v.toString());
  }

  /** Confluent's TopicNameStrategy: {@code <topic>-key} or {@code <topic>-value}. */
  public static String subject(String topic, boolean isKey) {
    return topic + (isKey ? "-key" : "-value");
  }
}
