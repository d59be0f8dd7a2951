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

  private final KafkaRaftServer server;
  private final String bootstrapServers;

  private KafkaBroker(KafkaRaftServer server, String bootstrapServers) {
    this.server = server;
    this.bootstrapServers = bootstrapServers;
  }

  public static KafkaBroker start(Path dataDir, int port, int controllerPort) {
    Ports.requireFree(port, "the Kafka broker");
    Ports.requireFree(controllerPort, "the Kafka controller");
    long t0 = System.nanoTime();
    try {
      Files.createDirectories(dataDir);
      Path logDir = dataDir.resolve("log");
      Properties p = new Properties();
      p.put("process.roles", "broker,controller");
      p.put("node.id", "1");
      p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
      p.put(
          "listeners",
          "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
      p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
      p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.put("controller.listener.names", "CONTROLLER");
      p.put("inter.broker.listener.name", "PLAINTEXT");
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
      p.put("log.flush.interval.messages", "1");
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
                  new String[] {"format", "-t", CLUSTER_ID, "-c", props.toString()}, ps);
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
      KafkaBroker broker = new KafkaBroker(server, bootstrap);
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
  public void close() {
    server.shutdown();
    server.awaitShutdown();
    log.info("Kafka broker on {} stopped", bootstrapServers);
  }
}
