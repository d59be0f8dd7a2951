package kai.telemetry.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the registry client sends to prove who it is, seen by a loopback HTTP endpoint that records
 * each request's Authorization header and answers 401 without one.
 */
class RegistryAuthTest {
  private final List<String> headers = Collections.synchronizedList(new ArrayList<>());
  private HttpServer server;
  private String url;
  private final Schema schema = SchemaBuilder.record("R").fields().requiredLong("x").endRecord();

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        exchange -> {
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          headers.add(String.valueOf(auth));
          byte[] body = (auth == null ? "{}" : "{\"id\":7}").getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(auth == null ? 401 : 200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void basicCredentialsGoAsAnAuthorizationHeader() {
    var client = new SchemaRegistryClient(url, RegistryAuth.basic("office:s3cret"));
    assertThat(client.register("t-value", schema)).isEqualTo(7);
    assertThat(headers).containsExactly("Basic b2ZmaWNlOnMzY3JldA==");
  }

  @Test
  void aBearerTokenGoesAsAnAuthorizationHeader() {
    var client = new SchemaRegistryClient(url, RegistryAuth.bearer("tok-123"));
    assertThat(client.register("t-value", schema)).isEqualTo(7);
    assertThat(headers).containsExactly("Bearer tok-123");
  }

  @Test
  void aRefusalSaysWhichCredentialsToSet() {
    var client = new SchemaRegistryClient(url);
    assertThatThrownBy(() -> client.register("t-value", schema))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("HTTP 401")
        .hasMessageContaining("schema.registry.basic.auth.user.info");
  }

  @Test
  void serdeSettingsChooseTheCredentialsAndNeverShowTheSecret() {
    RegistryAuth basic =
        RegistrySerdeConfig.auth(Map.of(RegistrySerdeConfig.BASIC_AUTH_USER_INFO, "office:s3cret"));
    assertThat(basic.header()).contains("Basic b2ZmaWNlOnMzY3JldA==");
    assertThat(basic.toString()).doesNotContain("s3cret").contains("office");
    assertThat(RegistrySerdeConfig.auth(Map.of())).isEqualTo(RegistryAuth.NONE);
    assertThatThrownBy(
            () ->
                RegistrySerdeConfig.auth(
                    Map.of(
                        RegistrySerdeConfig.BASIC_AUTH_USER_INFO, "a:b",
                        RegistrySerdeConfig.BEARER_AUTH_TOKEN, "t")))
        .hasMessageContaining("not both");
  }
}
