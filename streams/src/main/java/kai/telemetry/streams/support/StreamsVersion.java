package kai.telemetry.streams.support;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The Kafka Streams versions the write-behind store has been tested on. The store relies on an
 * internal hook of Kafka Streams (its caching stores' flush before a commit), which a release may
 * change without notice, so a job refuses to start on any other version.
 */
public final class StreamsVersion {
  /** Versions whose test suite (WriteBehindKeyValueStoreTest, the fleet crash test) passed. */
  public static final Set<String> TESTED = Set.of("4.4.0");

  private StreamsVersion() {}

  /** The running Kafka version, as the clients jar reports it and the streams jar is named. */
  public static String running() {
    String clients = clientsVersion();
    String jar = jarVersion();
    return jar == null || jar.equals(clients) ? clients : jar;
  }

  /** Throws with a clear message unless {@code version} is one the tests cover. */
  public static void requireTested(String version) {
    if (!TESTED.contains(version)) {
      throw new IllegalStateException(
          "Kafka Streams "
              + version
              + " is not a version the write-behind state store was tested on ("
              + String.join(", ", TESTED)
              + "): it depends on an internal Kafka Streams hook. Run with a tested version, or"
              + " rerun the store's tests on this one and add it to StreamsVersion.TESTED.");
    }
  }

  /** The version the Kafka clients jar declares (the file Kafka's own app-info reads). */
  private static String clientsVersion() {
    try (InputStream in =
        KafkaStreams.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
      Properties p = new Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** The version in the kafka-streams jar's file name, when it carries one. */
  private static String jarVersion() {
    try {
      String path =
          KafkaStreams.class.getProtectionDomain().getCodeSource().getLocation().getPath();
      String name = path.substring(path.lastIndexOf('/') + 1);
      if (name.startsWith("kafka-streams-") && name.endsWith(".jar")) {
        return name.substring("kafka-streams-".length(), name.length() - ".jar".length());
      }
    } catch (RuntimeException e) {
      // No code source (e.g. a custom class loader): the clients' version stands.
    }
    return null;
  }
}
