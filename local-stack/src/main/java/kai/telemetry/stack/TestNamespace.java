package kai.telemetry.stack;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Unique names for one test class on the shared stack: a topic prefix and a ClickHouse database, so
 * test classes never see each other's data.
 */
public record TestNamespace(String topicPrefix, String database) {

  public static TestNamespace of(Class<?> testClass) {
    String base = testClass.getSimpleName().replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
    String suffix = Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36);
    return new TestNamespace("it-" + base + "-" + suffix + ".", "it_" + base + "_" + suffix);
  }
}
