package kai.telemetry.schemas.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One client (and so one cache) per registry URL in a process. */
final class SchemaRegistryClients {
  private static final Map<String, SchemaRegistryClient> BY_URL = new ConcurrentHashMap<>();

  private SchemaRegistryClients() {}

  static SchemaRegistryClient shared(String url) {
    return BY_URL.computeIfAbsent(url, SchemaRegistryClient::new);
  }
}
