package kai.telemetry.schemas.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** One client (and so one cache) per registry URL and credentials in a process. */
final class SchemaRegistryClients {
  private static final Map<String, SchemaRegistryClient> BY_URL = new ConcurrentHashMap<>();

  private SchemaRegistryClients() {}

  static SchemaRegistryClient shared(String url, RegistryAuth auth) {
    return BY_URL.computeIfAbsent(
        url + "\n" + auth.scheme() + "\n" + auth.secret(),
        k -> new SchemaRegistryClient(url, auth));
  }
}
