package kai.telemetry.stack;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker in KRaft mode (broker and controller in one), run in-process. Its
 * data survives a restart on the same folder: the cluster id is fixed and the storage is only
 * formatted when it has not been.
 */
public final class KafkaBroker implements KafkaEndpoint {
  private static final Logger log = LoggerFactory.getLogger(KafkaBroker.class);

  /** Fixed so a data folder formatted once can be reopened (re-formatting with a new id fails). */
  private static final String CLUSTER_ID = "a2FpLXRlbGVtZXRyeTAx";

  private KafkaRaftServer server;
  private final Properties config;
  private final String bootstrapServers;
  private final String adminPassword;

  private KafkaBroker(
      KafkaRaftServer server, Properties config, String bootstrapServers, String adminPassword) {
    this.server = server;
    this.config = config;
    this.bootstrapServers = bootstrapServers;
    this.adminPassword = adminPassword;
  }

  /**
   * Starts the broker on {@code port} with its data under {@code dataDir}. The administrator's
   * password is made at the first start and kept in {@code dataDir} (owner-only), so a restart on
   * the same folder authenticates as before.
   */
  public static KafkaBroker start(Path dataDir, int port, int controllerPort) {
    Ports.requireFree(port, "the Kafka broker");
    Ports.requireFree(controllerPort, "the Kafka controller");
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
      String adminPassword = KafkaSasl.keptPassword(dataDir.resolve("admin.password"));
      Path logDir = dataDir.resolve("log");
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", "1");
      p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
      // Every connection authenticates: clients with SCRAM on CLIENTS, the controller quorum with
      // PLAIN on CONTROLLER (SCRAM credentials live in the metadata the controller serves, so it
      // cannot use them itself). Only the administrator is a super user; everyone else gets what
      // an ACL grants and nothing when none does.
      String admin = KafkaSasl.ADMIN;
      p.put(
          "listeners", "CLIENTS://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
      p.put("advertised.listeners", "CLIENTS://127.0.0.1:" + port);
      p.put("listener.security.protocol.map", "CLIENTS:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "CLIENTS");
      p.put("sasl.mechanism.inter.broker.protocol", KafkaSasl.MECHANISM);
      p.put("sasl.mechanism.controller.protocol", "PLAIN");
      p.put("listener.name.clients.sasl.enabled.mechanisms", KafkaSasl.MECHANISM);
      p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
      p.put(
          "listener.name.clients.scram-sha-512.sasl.jaas.config",
          KafkaSasl.scramJaas(admin, adminPassword));
      p.put(
          "listener.name.controller.plain.sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
              + admin
              + "\" password=\""
              + adminPassword
              + "\" user_"
              + admin
              + "=\""
              + adminPassword
              + "\";");
      p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
      p.put("super.users", "User:" + admin);
      p.put("allow.everyone.if.no.acl.found", "false");
      p.put("log.dirs", logDir.toString());
      // A single node: internal topics must not ask for replicas it cannot have, or consumer
      // groups and transactions (exactly-once Streams) wait forever.
      p.put("offsets.topic.replication.factor", "1");
      p.put("offsets.topic.num.partitions", "3");
      p.put("transaction.state.log.replication.factor", "1");
      p.put("transaction.state.log.min.isr", "1");
      p.put("transaction.state.log.num.partitions", "3");
      p.put("share.coordinator.state.topic.replication.factor", "1");
      p.put("share.coordinator.state.topic.min.isr", "1");
      p.put("group.initial.rebalance.delay.ms", "0");
      p.put("num.partitions", "1");
      p.put("auto.create.topics.enable", "false");
      // Keep everything: records carry event time, and backfills and fixtures are older than any
      // time retention, which would delete them at the broker's next retention check.
      p.put("log.retention.ms", "-1");
      // No fsync per append (Kafka's default): an acknowledged record is in the page cache, so it
      // outlives a crash of any process, this broker's included, but not of the machine; a
      // production cluster gets that from replication. Syncing every append made each produce,
      // and each of a Streams commit's per-task flushes, wait for the disk under load.
      Path props = dataDir.resolve("server.properties");
      try (OutputStream out = Files.newOutputStream(props)) {
        p.store(out, "kai-telemetry local broker");
      }
      if (!Files.exists(logDir.resolve("meta.properties"))) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try (PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
          rc =
              StorageTool.execute(
                  new String[] {
                    "format",
                    "-t",
                    CLUSTER_ID,
                    "-c",
                    props.toString(),
                    "--add-scram",
                    KafkaSasl.MECHANISM + "=[name=" + admin + ",password=" + adminPassword + "]"
                  },
                  ps);
        }
        if (rc != 0) {
          throw new IllegalStateException(
              "formatting Kafka storage in "
                  + logDir
                  + " failed: "
                  + buf.toString(StandardCharsets.UTF_8));
        }
      }
      KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
      server.startup();
      String bootstrap = "127.0.0.1:" + port;
      KafkaBroker broker = new KafkaBroker(server, p, bootstrap, adminPassword);
      broker.awaitReady(Duration.ofSeconds(60));
      log.info(
          "Kafka broker ready on {} in {} ms (data {})",
          bootstrap,
          (System.nanoTime() - t0) / 1_000_000,
          dataDir);
      return broker;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the Kafka broker: " + e.getMessage(), e);
    }
  }

  private void awaitReady(Duration timeout) {
    try (Admin admin = admin()) {
      Await.until(
          "the Kafka broker at " + bootstrapServers + " to answer",
          timeout,
          () -> {
            try {
              return !admin.describeCluster().nodes().get().isEmpty();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
    }
  }

  @Override
  public String bootstrapServers() {
    return bootstrapServers;
  }

  @Override
  public Map<String, Object> clientConfig() {
    return KafkaSasl.clientConfig(bootstrapServers, KafkaSasl.ADMIN, adminPassword);
  }

  /**
   * Stops the broker and starts it again on the same ports and data, as an operator's restart does:
   * clients see their connections drop and must reconnect; committed data and offsets stay.
   */
  @Override
  public synchronized void restart() {
    long t0 = System.nanoTime();
    server.shutdown();
    server.awaitShutdown();
    server = new KafkaRaftServer(KafkaConfig.fromProps(config), Time.SYSTEM);
    server.startup();
    awaitReady(Duration.ofSeconds(60));
    log.info(
        "Kafka broker on {} restarted in {} ms",
        bootstrapServers,
        (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    log.info("Kafka broker on {} stopped", bootstrapServers);
  }
}
