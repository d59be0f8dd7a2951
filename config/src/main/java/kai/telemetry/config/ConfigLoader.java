package kai.telemetry.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Gathers the settings of one deployable from, lowest precedence first: the defaults in its {@link
 * ConfigDef}, a properties file ({@code --config FILE} or {@code KAI_CONFIG_FILE}), environment
 * variables ({@code KAI_} + key upper-cased, dots and dashes as underscores, e.g. {@code
 * KAI_SINK_BATCH_MAX_ROWS} for {@code sink.batch.max.rows}), and {@code key=value} arguments. Keys
 * starting with {@code kafka.} are passed through to the Kafka clients; unknown other keys are an
 * error, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
  public static final String ENV_PREFIX = "KAI_";
  public static final String CLIENT_OVERRIDE_PREFIX = "kafka.";

  private ConfigLoader() {}

  public static Map<String, Object> load(ConfigDef def, String[] args, Map<String, String> env) {
    Map<String, Object> values = new HashMap<>();
    String file = env.get(ENV_PREFIX + "CONFIG_FILE");
    Map<String, String> fromArgs = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config") && i + 1 < args.length) {
        file = args[++i];
      } else if (a.startsWith("--config=")) {
        file = a.substring("--config=".length());
      } else if (a.contains("=")) {
        String key = a.startsWith("--") ? a.substring(2) : a;
        fromArgs.put(key.substring(0, key.indexOf('=')), key.substring(key.indexOf('=') + 1));
      } else {
        throw new ConfigException(
            "unexpected argument '"
                + a
                + "': use key=value, or --config FILE (keys: "
                + def.names()
                + ")");
      }
    }
    if (file != null) {
      values.putAll(readFile(Path.of(file)));
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(ENV_PREFIX) || name.equals(ENV_PREFIX + "CONFIG_FILE")) {
        continue;
      }
      for (String key : def.names()) {
        if (envName(key).equals(name)) {
          values.put(key, e.getValue());
        }
      }
      String kafkaEnv = ENV_PREFIX + "KAFKA_";
      if (name.startsWith(kafkaEnv)) {
        values.put(
            CLIENT_OVERRIDE_PREFIX
                + name.substring(kafkaEnv.length()).toLowerCase(Locale.ROOT).replace('_', '.'),
            e.getValue());
      }
    }
    values.putAll(fromArgs);
    for (String key : values.keySet()) {
      if (!def.names().contains(key) && !key.startsWith(CLIENT_OVERRIDE_PREFIX)) {
        throw new ConfigException(
            "unknown setting '"
                + key
                + "'; known settings: "
                + new java.util.TreeSet<>(def.names()));
      }
    }
    return values;
  }

  /** The environment variable that sets {@code key}. */
  public static String envName(String key) {
    return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static Map<String, String> readFile(Path file) {
    Properties p = new Properties();
    try (InputStream in = Files.newInputStream(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
    Map<String, String> m = new HashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k).trim()));
    return m;
  }
}
