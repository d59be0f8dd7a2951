package kai.telemetry.stack;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry, run as a child JVM from its Maven Central artifact, in-memory storage,
 * global compatibility BACKWARD (Confluent's default). The pipeline talks to it only through its
 * Confluent-compatible API, so a Confluent schema registry can take its place by URL alone.
 */
public final class SchemaRegistryServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SchemaRegistryServer.class);
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  private final ManagedProcess process;
  private final int port;

  private SchemaRegistryServer(ManagedProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  public static SchemaRegistryServer start(
      StackHome home, Path workDir, int port, int managementPort) {
    Ports.requireFree(port, "the schema registry");
    Ports.requireFree(managementPort, "the schema registry's management endpoint");
    Path jar = home.schemaRegistryJar();
    long t0 = System.nanoTime();
    ManagedProcess p =
        ManagedProcess.start(
            "schema-registry",
            List.of(
                StackHome.javaBinary().toString(),
                "-Xmx192m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                jar.toString()),
            Map.of(
                "QUARKUS_HTTP_HOST", "127.0.0.1",
                "QUARKUS_HTTP_PORT", Integer.toString(port),
                // 3.x puts management on 9000 by default, which ClickHouse also uses.
                "QUARKUS_MANAGEMENT_HOST", "127.0.0.1",
                "QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort),
                "APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD",
                "QUARKUS_LOG_LEVEL", "WARN",
                "QUARKUS_LOG_CONSOLE_LEVEL", "WARN"),
            workDir);
    SchemaRegistryServer server = new SchemaRegistryServer(p, port);
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    URI ready = URI.create("http://127.0.0.1:" + managementPort + "/health/ready");
    try {
      Await.until(
          "the schema registry to be ready (" + ready + ")",
          Duration.ofSeconds(120),
          () -> {
            p.requireAlive();
            try {
              return http.send(
                          HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                          HttpResponse.BodyHandlers.discarding())
                      .statusCode()
                  == 200;
            } catch (java.io.IOException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IllegalStateException(e);
            }
          });
    } catch (RuntimeException e) {
      p.close();
      throw new IllegalStateException(e.getMessage() + "\nregistry log tail:\n" + p.logTail(30), e);
    }
    log.info(
        "schema registry ready at {} in {} ms", server.url(), (System.nanoTime() - t0) / 1_000_000);
    return server;
  }

  /** Base URL of the Confluent-compatible API: the value of schema.registry.url. */
  public String url() {
    return "http://127.0.0.1:" + port + CCOMPAT_PATH;
  }

  public int port() {
    return port;
  }

  @Override
  public void close() {
    process.close();
  }
}
