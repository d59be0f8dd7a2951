package kai.telemetry.stack;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * Where the local stack keeps its engines (the unpacked schema registry, chDB) and finds its tools.
 *
 * <p>The folder is {@code -Dkai.stack.dir}, else {@code $KAI_STACK_DIR}, else {@code .stack} in the
 * nearest folder upwards that holds the Maven wrapper.
 */
public final class StackHome {

  private static final Properties VERSIONS = loadVersions();

  private final Path dir;

  private StackHome(Path dir) {
    this.dir = dir.toAbsolutePath().normalize();
  }

  public static StackHome locate() {
    String prop = System.getProperty("kai.stack.dir");
    if (prop != null && !prop.isBlank()) {
      return new StackHome(Path.of(prop));
    }
    String env = System.getenv("KAI_STACK_DIR");
    if (env != null && !env.isBlank()) {
      return new StackHome(Path.of(env));
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("mvnw"))) {
        return new StackHome(p.resolve(".stack"));
      }
    }
    throw new IllegalStateException(
        "cannot find the stack folder: set -Dkai.stack.dir or KAI_STACK_DIR, or run from the project");
  }

  public Path dir() {
    return dir;
  }

  public static String version(String component) {
    String v = VERSIONS.getProperty(component + ".version");
    if (v == null) {
      throw new IllegalStateException("no version recorded for " + component);
    }
    return v;
  }

  /** The runnable jar of the Apicurio registry unpacked by the local-stack build. */
  public Path schemaRegistryJar() {
    Path home = dir.resolve("apicurio-registry-" + version("apicurio"));
    try (Stream<Path> files = Files.exists(home) ? Files.walk(home, 4) : Stream.empty()) {
      return files
          .filter(p -> p.getFileName().toString().equals("quarkus-run.jar"))
          .findFirst()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "schema registry not unpacked under "
                          + home
                          + ": build the project once (./mvnw -Dquick install) so the local-stack"
                          + " module unpacks io.apicurio:apicurio-registry-app"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** libchdb.so from the npm package @chdb/lib-linux-x64-gnu installed under the stack folder. */
  public Path chdbLibrary() {
    Path lib = dir.resolve("chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so");
    if (!Files.isRegularFile(lib)) {
      throw new IllegalStateException(
          "chDB not installed at "
              + lib
              + ": run  npm install --ignore-scripts --prefix "
              + dir.resolve("chdb")
              + " @chdb/lib-linux-x64-gnu  (bin/test does this)");
    }
    return lib;
  }

  /** The clickhouse-server binary, from PATH or Debian's location. */
  public static Path clickhouseServerBinary() {
    for (String candidate :
        new String[] {"/usr/bin/clickhouse-server", "/usr/local/bin/clickhouse-server"}) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    String path = System.getenv().getOrDefault("PATH", "");
    for (String d : path.split(":")) {
      Path p = Path.of(d, "clickhouse-server");
      if (!d.isEmpty() && Files.isExecutable(p)) {
        return p;
      }
    }
    throw new IllegalStateException(
        "clickhouse-server is not installed: run  apt-get install -y clickhouse-server"
            + " clickhouse-client  (bin/test and bin/run-local do this when run as root)");
  }

  /** The java executable of this JVM, to start child JVMs on the same JDK. */
  public static Path javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  private static Properties loadVersions() {
    Properties p = new Properties();
    try (InputStream in = StackHome.class.getResourceAsStream("/kai-stack.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return p;
  }
}
