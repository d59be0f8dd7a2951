package kai.telemetry.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A thin client for the Confluent schema-registry REST API (also served by Apicurio at
 * /apis/ccompat/v7). Registrations and look-ups are cached: a schema id never changes its schema.
 */
public final class SchemaRegistryClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final String baseUrl;
  private final RegistryAuth auth;
  private final HttpClient http;
  // Keyed by the Schema object: its hash is cached and an identity hit is cheap, unlike
  // rendering the schema to JSON for every record.
  private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  public SchemaRegistryClient(String baseUrl) {
    this(baseUrl, RegistryAuth.NONE);
  }

  public SchemaRegistryClient(String baseUrl, RegistryAuth auth) {
    this.auth = auth;
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException("schema.registry.url is not set");
    }
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
  }

  public String baseUrl() {
    return baseUrl;
  }

  /** Registers {@code schema} under {@code subject} (idempotent) and returns its global id. */
  public int register(String subject, Schema schema) {
    Integer cached = cached(subject, schema);
    if (cached != null) {
      return cached;
    }
    JsonNode body =
        send("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema), subject);
    int id = body.path("id").asInt(-1);
    if (id < 0) {
      throw new SchemaRegistryException(
          "registry answered without an id for subject " + subject + ": " + body, 0);
    }
    idsBySubject.computeIfAbsent(subject, k -> new ConcurrentHashMap<>()).put(schema, id);
    schemasById.putIfAbsent(id, schema);
    return id;
  }

  private Integer cached(String subject, Schema schema) {
    Map<Schema, Integer> ids = idsBySubject.get(subject);
    return ids == null ? null : ids.get(schema);
  }

  /** Looks up the id of {@code schema} under {@code subject} without registering it. */
  public int lookup(String subject, Schema schema) {
    Integer cached = cached(subject, schema);
    if (cached != null) {
      return cached;
    }
    JsonNode body;
    try {
      body = send("POST", "/subjects/" + encode(subject), schemaBody(schema), subject);
    } catch (SchemaRegistryException e) {
      if (e.httpStatus() == 404) {
        throw new SchemaRegistryException(
            "schema of "
                + subject
                + " is not registered, and this client does not register schemas"
                + " (schema.registry.auto.register=false): run kai register-schemas, the deploy"
                + " step, with this release ("
                + e.getMessage()
                + ")",
            404,
            e);
      }
      throw e;
    }
    int id = body.path("id").asInt(-1);
    idsBySubject.computeIfAbsent(subject, k -> new ConcurrentHashMap<>()).put(schema, id);
    return id;
  }

  /** The schema with global id {@code id}. */
  public Schema schemaById(int id) {
    return schemasById.computeIfAbsent(
        id,
        i -> {
          JsonNode body = send("GET", "/schemas/ids/" + i, null, "schema id " + i);
          return new Schema.Parser().parse(body.path("schema").asText());
        });
  }

  /** True if {@code schema} may be registered under {@code subject} by its compatibility rule. */
  public boolean isCompatible(String subject, Schema schema) {
    JsonNode body =
        send(
            "POST",
            "/compatibility/subjects/" + encode(subject) + "/versions/latest",
            schemaBody(schema),
            subject);
    return body.path("is_compatible").asBoolean(false);
  }

  private static String schemaBody(Schema schema) {
    return JSON.createObjectNode().put("schema", schema.toString()).toString();
  }

  private JsonNode send(String method, String path, String body, String what) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(TIMEOUT)
            .header("Accept", CONTENT_TYPE + ", application/json");
    auth.header().ifPresent(h -> request.header("Authorization", h));
    if (body != null) {
      request.header("Content-Type", CONTENT_TYPE);
    }
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    HttpResponse<String> response;
    try {
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (java.net.http.HttpTimeoutException slow) {
        // Every call here is idempotent (register returns the existing id): a registry busy
        // starting up or collecting garbage gets a second timeout before this gives up.
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      }
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "schema registry at "
              + baseUrl
              + " is unreachable ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + ")",
          0,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while calling the schema registry", 0, e);
    }
    int status = response.statusCode();
    if (status == 401 || status == 403) {
      throw new SchemaRegistryException(
          "schema registry at "
              + baseUrl
              + " refused "
              + (auth == RegistryAuth.NONE ? "an unauthenticated" : "the " + auth)
              + " client (HTTP "
              + status
              + ") for "
              + what
              + ": set schema.registry.basic.auth.user.info or schema.registry.bearer.auth.token",
          status);
    }
    if (status == 409) {
      throw new IncompatibleSchemaException(
          "schema for "
              + what
              + " is incompatible with the registered versions: "
              + response.body());
    }
    if (status / 100 != 2) {
      throw new SchemaRegistryException(
          method
              + " "
              + path
              + " failed for "
              + what
              + " with HTTP "
              + status
              + ": "
              + response.body(),
          status);
    }
    try {
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new SchemaRegistryException(
          "unreadable registry answer: " + response.body(), status, e);
    }
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
