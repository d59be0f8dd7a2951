package kai.telemetry.schemas.registry;

import java.util.Map;

/** The serde settings, named as Confluent's serializers name them so the two stay swappable. */
public final class RegistrySerdeConfig {
  /** Base URL of the registry's Confluent-compatible API. */
  public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

  /** Whether the serializer registers the writer schema (default true). */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  /** {@code USER_INFO}: HTTP basic with {@link #BASIC_AUTH_USER_INFO}. */
  public static final String BASIC_AUTH_CREDENTIALS_SOURCE = "basic.auth.credentials.source";

  /** {@code user:password} for HTTP basic. */
  public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";

  /** {@code STATIC_TOKEN}: a bearer token, {@link #BEARER_AUTH_TOKEN}. */
  public static final String BEARER_AUTH_CREDENTIALS_SOURCE = "bearer.auth.credentials.source";

  public static final String BEARER_AUTH_TOKEN = "bearer.auth.token";

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

  /** The credentials the serde settings give; both kinds at once is an error. */
  public static RegistryAuth auth(Map<String, ?> configs) {
    String userInfo = string(configs, BASIC_AUTH_USER_INFO);
    String token = string(configs, BEARER_AUTH_TOKEN);
    if (userInfo != null && token != null) {
      throw new IllegalArgumentException(
          "give the registry either "
              + BASIC_AUTH_USER_INFO
              + " or "
              + BEARER_AUTH_TOKEN
              + ", not both");
    }
    if (userInfo != null) {
      return RegistryAuth.basic(userInfo);
    }
    return token != null ? RegistryAuth.bearer(token) : RegistryAuth.NONE;
  }

  private static String string(Map<String, ?> configs, String key) {
    Object v = configs.get(key);
    if (v instanceof org.apache.kafka.common.config.types.Password p) {
      v = p.value();
    }
    return v == null || v.toString().isBlank() ? null : v.toString();
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
