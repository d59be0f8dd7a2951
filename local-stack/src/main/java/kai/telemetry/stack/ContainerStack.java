package kai.telemetry.stack;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The stack from the production images (Testcontainers): Kafka (KRaft), Confluent's schema
 * registry, current ClickHouse with the product's users. Chosen for the integration suite by {@code
 * -Pcontainers} (system property {@code kai.stack=containers}) where a Docker engine runs.
 */
final class ContainerStack {
  private static final Logger log = LoggerFactory.getLogger(ContainerStack.class);

  private ContainerStack() {}

  static LocalStack start(StackHome home, Path dir) {
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      throw new IllegalStateException(
          "kai.stack=containers needs a Docker engine, and none answers here; run the integration"
              + " suite without -Pcontainers to use the local stack");
    }
    long t0 = System.nanoTime();
    Network network = Network.newNetwork();
    KafkaContainer kafka =
        new KafkaContainer(DockerImageName.parse(StackImages.KAFKA))
            .withNetwork(network)
            .withNetworkAliases("kafka")
            .withListener("kafka:19092");
    kafka.start();
    GenericContainer<?> registry =
        new GenericContainer<>(DockerImageName.parse(StackImages.SCHEMA_REGISTRY))
            .withNetwork(network)
            .withExposedPorts(8081)
            .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
            .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
            .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "PLAINTEXT://kafka:19092")
            .withEnv("SCHEMA_REGISTRY_SCHEMA_COMPATIBILITY_LEVEL", "backward")
            .waitingFor(Wait.forHttp("/subjects").forStatusCode(200))
            .dependsOn(kafka);
    registry.start();
    ClickHouseContainer clickhouse = new ClickHouseContainer(network);
    clickhouse.start();
    log.info("container stack up in {} ms", (System.nanoTime() - t0) / 1_000_000);
    KafkaEndpoint kafkaEndpoint =
        new KafkaEndpoint() {
          @Override
          public String bootstrapServers() {
            return kafka.getBootstrapServers();
          }

          @Override
          public void close() {
            kafka.stop();
            network.close();
          }
        };
    return new LocalStack(
        kafkaEndpoint,
        registry::stop,
        "http://" + registry.getHost() + ":" + registry.getMappedPort(8081),
        clickhouse,
        home,
        dir);
  }

  /** ClickHouse from the production image, with the product's users file. */
  private static final class ClickHouseContainer implements ClickHouseEndpoint {
    private final GenericContainer<?> container;

    ClickHouseContainer(Network network) {
      container =
          new GenericContainer<>(DockerImageName.parse(StackImages.CLICKHOUSE))
              .withNetwork(network)
              .withExposedPorts(8123, 9000)
              // Keep the image's passwordless default user reachable from the tests.
              .withEnv("CLICKHOUSE_SKIP_USER_SETUP", "1")
              .withCopyFileToContainer(
                  MountableFile.forClasspathResource(ClickHouseUser.USERS_FILE),
                  "/etc/clickhouse-server/users.d/kai-users.xml")
              .waitingFor(Wait.forHttp("/ping").forPort(8123).forStatusCode(200));
    }

    void start() {
      container.start();
    }

    @Override
    public String httpUrl() {
      return "http://" + container.getHost() + ":" + container.getMappedPort(8123);
    }

    @Override
    public int tcpPort() {
      return container.getMappedPort(9000);
    }

    @Override
    public boolean ping() {
      try (HttpClient http = HttpClient.newHttpClient()) {
        return http.send(
                HttpRequest.newBuilder(URI.create(httpUrl() + "/ping"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body()
            .startsWith("Ok.");
      } catch (Exception e) {
        return false;
      }
    }

    @Override
    public String version() {
      return container.getDockerImageName();
    }

    /** Pauses the container: its address stays, connections hang as in a real outage. */
    @Override
    public void stop() {
      DockerClientFactory.instance().client().pauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public void restart() {
      DockerClientFactory.instance()
          .client()
          .unpauseContainerCmd(container.getContainerId())
          .exec();
    }

    @Override
    public void close() {
      container.stop();
    }
  }
}
