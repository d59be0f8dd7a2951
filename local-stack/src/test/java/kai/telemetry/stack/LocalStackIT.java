package kai.telemetry.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalStackIT {

  @Test
  void startsRealEnginesAndStopsThemWithoutLeftovers(@TempDir Path dir) throws Exception {
    LocalStack.StackPorts ports = LocalStack.StackPorts.free();
    long registryPid;
    long clickhousePid;
    try (LocalStack stack = LocalStack.start(StackHome.locate(), dir, ports)) {
      try (Admin admin = stack.kafka().admin()) {
        admin.createTopics(List.of(new NewTopic("smoke", 1, (short) 1))).all().get();
        assertThat(admin.listTopics().names().get()).contains("smoke");
      }
      assertThat(stack.clickhouse().ping()).isTrue();
      assertThat(stack.clickhouse().version()).startsWith("18.");
      var http = java.net.http.HttpClient.newHttpClient();
      var response =
          http.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create(stack.schemaRegistryUrl() + "/subjects"))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("[]");
      registryPid =
          Long.parseLong(Files.readString(dir.resolve("schema-registry/schema-registry.pid")));
      clickhousePid =
          Long.parseLong(Files.readString(dir.resolve("clickhouse/clickhouse-server.pid")));
      assertThat(ProcessHandle.of(registryPid)).isPresent();
    }
    for (long pid : Set.of(registryPid, clickhousePid)) {
      Await.until(
          "pid " + pid + " to exit",
          Duration.ofSeconds(5),
          () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
    assertThat(dir.resolve("schema-registry/schema-registry.pid")).doesNotExist();
    assertThat(Ports.inUse(ports.kafka())).isFalse();
    assertThat(Ports.inUse(ports.clickhouseHttp())).isFalse();
  }

  @Test
  void refusesAPortThatIsTaken() throws Exception {
    try (var socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int taken = socket.getLocalPort();
      assertThatThrownBy(() -> Ports.requireFree(taken, "the Kafka broker"))
          .hasMessageContaining("port " + taken + " for the Kafka broker is already in use");
    }
  }

  @Test
  void chdbRunsModernClickHouseSql(@TempDir Path dir) {
    try (Chdb chdb = Chdb.open(StackHome.locate(), dir)) {
      assertThat(Integer.parseInt(chdb.version().split("\\.")[0])).isGreaterThanOrEqualTo(24);
      chdb.query("CREATE DATABASE IF NOT EXISTS t", "TabSeparated");
      chdb.query(
          "CREATE TABLE t.x (a Int64, b String) ENGINE = MergeTree ORDER BY a", "TabSeparated");
      chdb.query("INSERT INTO t.x VALUES (2, 'b'), (1, 'a')", "TabSeparated");
      assertThat(chdb.query("SELECT a, b FROM t.x ORDER BY a", "JSONEachRow"))
          .isEqualTo("{\"a\":1,\"b\":\"a\"}\n{\"a\":2,\"b\":\"b\"}\n");
      assertThatThrownBy(() -> chdb.query("SELECT nope FROM t.x", "TabSeparated"))
          .hasMessageContaining("nope");
    }
  }
}
