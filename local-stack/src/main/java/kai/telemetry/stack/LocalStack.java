package kai.telemetry.stack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real stack the pipeline runs on locally and in integration tests: a Kafka broker, a schema
 * registry and a ClickHouse server, started together and stopped in reverse order.
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

  /** The ports the stack listens on (all on 127.0.0.1). */
  public record StackPorts(
      int kafka,
      int kafkaController,
      int registry,
      int registryManagement,
      int clickhouseHttp,
      int clickhouseTcp,
      int clickhouseInterserver) {

    /** Fixed ports of the local run, away from the engines' defaults so they do not collide. */
    public static StackPorts localRun() {
      return new StackPorts(19092, 19093, 18081, 18091, 18123, 19000, 19009);
    }

    /** Free ports picked now, for tests. */
    public static StackPorts free() {
      int[] p = Ports.free(7);
      return new StackPorts(p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
    }
  }

  private final KafkaEndpoint kafka;
  private final AutoCloseable registry;
  private final String registryUrl;
  private final ClickHouseEndpoint clickhouse;
  private final StackHome home;
  private final Path dir;

  LocalStack(
      KafkaEndpoint kafka,
      AutoCloseable registry,
      String registryUrl,
      ClickHouseEndpoint clickhouse,
      StackHome home,
      Path dir) {
    this.kafka = kafka;
    this.registry = registry;
    this.registryUrl = registryUrl;
    this.clickhouse = clickhouse;
    this.home = home;
    this.dir = dir;
  }

  /** Starts the three engines with their data under {@code dir}; fails with what is missing. */
  public static LocalStack start(StackHome home, Path dir, StackPorts ports) {
    long t0 = System.nanoTime();
    // Check what is missing before starting anything, so the error comes first and alone.
    StackHome.clickhouseServerBinary();
    home.schemaRegistryJar();
    List<AutoCloseable> started = Collections.synchronizedList(new ArrayList<>());
    try {
      // The registry's JVM takes longest to start: start it first and let the others overlap.
      CompletableFuture<SchemaRegistryServer> registry =
          CompletableFuture.supplyAsync(
              () -> {
                SchemaRegistryServer r =
                    SchemaRegistryServer.start(
                        home,
                        dir.resolve("schema-registry"),
                        ports.registry(),
                        ports.registryManagement());
                started.add(r);
                return r;
              });
      ClickHouseServer clickhouse =
          ClickHouseServer.start(
              dir.resolve("clickhouse"),
              ports.clickhouseHttp(),
              ports.clickhouseTcp(),
              ports.clickhouseInterserver());
      started.add(clickhouse);
      KafkaBroker kafka =
          KafkaBroker.start(dir.resolve("kafka"), ports.kafka(), ports.kafkaController());
      started.add(kafka);
      SchemaRegistryServer r = registry.join();
      log.info("local stack up in {} ms under {}", (System.nanoTime() - t0) / 1_000_000, dir);
      return new LocalStack(kafka, r, r.url(), clickhouse, home, dir);
    } catch (RuntimeException e) {
      List<AutoCloseable> toStop = new ArrayList<>(started);
      Collections.reverse(toStop);
      for (AutoCloseable c : toStop) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e instanceof CompletionException && e.getCause() instanceof RuntimeException cause
          ? cause
          : e;
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** Settings of a Kafka client with the administrator's rights (test harnesses, the stack). */
  public Map<String, Object> kafkaClientConfig() {
    return kafka.clientConfig();
  }

  /**
   * The administrator's connection as a deployable's settings: {@code bootstrap.servers} and the
   * {@code kafka.*} security settings. For tests of one deployable; a pipeline runs each deployable
   * as its own principal ({@link #createPrincipals}).
   */
  public Map<String, Object> deployableSettings() {
    return asDeployableSettings(kafka.clientConfig());
  }

  /** {@link #deployableSettings()} as {@code key=value} arguments. */
  public List<String> deployableArgs() {
    return asArgs(deployableSettings());
  }

  /** Creates the principals of {@code plan} (user name to its ACLs) with new passwords. */
  public Map<String, KafkaUsers.Principal> createPrincipals(
      Map<String, List<org.apache.kafka.common.acl.AclBinding>> plan) {
    return KafkaUsers.create(kafka, plan);
  }

  /** A client config as a deployable's settings: bootstrap.servers, the rest under kafka.*. */
  static Map<String, Object> asDeployableSettings(Map<String, Object> clientConfig) {
    Map<String, Object> s = new java.util.TreeMap<>();
    clientConfig.forEach((k, v) -> s.put(k.equals("bootstrap.servers") ? k : "kafka." + k, v));
    return s;
  }

  static List<String> asArgs(Map<String, Object> settings) {
    return settings.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  /** Value for schema.registry.url. */
  public String schemaRegistryUrl() {
    return registryUrl;
  }

  public ClickHouseEndpoint clickhouse() {
    return clickhouse;
  }

  public KafkaEndpoint kafka() {
    return kafka;
  }

  public StackHome home() {
    return home;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public void close() {
    // Reverse start order; each stop is attempted even if another fails.
    RuntimeException failure = null;
    for (AutoCloseable c : List.<AutoCloseable>of(kafka, registry, clickhouse)) {
      try {
        c.close();
      } catch (Exception e) {
        if (failure == null) {
          failure = new IllegalStateException("stopping the local stack failed", e);
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }
}
