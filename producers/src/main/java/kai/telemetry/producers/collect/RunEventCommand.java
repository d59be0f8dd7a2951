package kai.telemetry.producers.collect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.RunProvenance;
import kai.telemetry.events.ThirdPartyComponent;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.RunChain;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Validation;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * {@code kai run-event}: a team records a lifecycle event of one of its runs, as its launcher or
 * checkpoint hook would: STARTED with the model spec and the provenance declared in a JSON file,
 * CHECKPOINT_SAVED with the checkpoint's content hash (given, or computed from the checkpoint's
 * files), INTERRUPTED, RESUMED, FINISHED. The event is chained to the run's last recorded event
 * (RunChain), read back from the team's intake, so the run's record is tamper-evident. One writer
 * per run: two writers at once would fork the chain, which the verifier reports.
 */
public final class RunEventCommand {
  public static final String RUN_ID = "run.id";
  public static final String EVENT = "run.event";
  public static final String STEP = "run.step";
  public static final String REASON = "run.reason";
  public static final String TIME = "run.time";
  public static final String DECLARATION = "run.declaration";
  public static final String CHECKPOINT_HASH = "run.checkpoint.hash";
  public static final String CHECKPOINT_PATH = "run.checkpoint.path";

  static final ConfigDef DEF =
      new ConfigDef(CollectorConfig.DEF)
          .define(RUN_ID, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "The run's id.")
          .define(
              EVENT,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              ConfigDef.ValidString.in(
                  "STARTED", "CHECKPOINT_SAVED", "INTERRUPTED", "RESUMED", "FINISHED"),
              Importance.HIGH,
              "The event.")
          .define(
              STEP,
              Type.LONG,
              null,
              Importance.MEDIUM,
              "The step: of the checkpoint saved or"
                  + " resumed from, the last one at an interruption or the end.")
          .define(REASON, Type.STRING, "", Importance.LOW, "Why the run was interrupted.")
          .define(TIME, Type.STRING, "", Importance.LOW, "When (ISO-8601; default now).")
          .define(
              DECLARATION,
              Type.STRING,
              "",
              Importance.HIGH,
              "STARTED: a JSON file with the model spec ({\"spec\": {model_name, parameters,"
                  + " layers, heads, head_dim, seq_len, planned_tokens, gpu_count, gpu_type}}) and"
                  + " the provenance ({\"provenance\": {init: scratch|base_model, base_model,"
                  + " base_model_hash, tokenizer, data_mixture_id, components: [{name, source,"
                  + " license, hash}]}}).")
          .define(
              CHECKPOINT_HASH,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "CHECKPOINT_SAVED: the checkpoint's content hash (sha256:<64 hex>).")
          .define(
              CHECKPOINT_PATH,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "CHECKPOINT_SAVED: a checkpoint file or directory to hash instead (SHA-256 over its"
                  + " files' relative paths and contents, in path order).");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Far above any spec and provenance: a declaration is a few hundred bytes per component. */
  static final long MAX_DECLARATION_BYTES = 1 << 20;

  private RunEventCommand() {}

  /** The event the settings describe, not yet chained. */
  static RunLifecycle event(AbstractConfig c, String team, long nowMs) throws IOException {
    String runId = c.getString(RUN_ID);
    RunEventKind kind = RunEventKind.valueOf(c.getString(EVENT));
    String time = c.getString(TIME);
    RunLifecycle.Builder e =
        RunLifecycle.newBuilder()
            .setTeam(team)
            .setRunId(runId)
            .setTsMs(time.isEmpty() ? nowMs : Instant.parse(time).toEpochMilli())
            .setKind(kind)
            .setStep(c.getLong(STEP))
            .setReason(c.getString(REASON).isEmpty() ? null : c.getString(REASON));
    if (kind == RunEventKind.STARTED) {
      String file = c.getString(DECLARATION);
      if (file.isEmpty()) {
        throw new IllegalArgumentException(
            "STARTED needs " + DECLARATION + ": the run's model spec and provenance");
      }
      Path declared = Path.of(file);
      if (Files.size(declared) > MAX_DECLARATION_BYTES) {
        throw new IllegalArgumentException(
            DECLARATION + " " + file + " is larger than " + MAX_DECLARATION_BYTES + " bytes");
      }
      declaration(JSON.readTree(Files.readString(declared)), e);
    }
    if (kind == RunEventKind.CHECKPOINT_SAVED) {
      String hash = c.getString(CHECKPOINT_HASH);
      String path = c.getString(CHECKPOINT_PATH);
      if (hash.isEmpty() == path.isEmpty()) {
        throw new IllegalArgumentException(
            "CHECKPOINT_SAVED needs one of " + CHECKPOINT_HASH + " and " + CHECKPOINT_PATH);
      }
      e.setCheckpointHash(hash.isEmpty() ? contentHash(Path.of(path)) : hash);
    }
    return e.build();
  }

  private static void declaration(JsonNode d, RunLifecycle.Builder e) {
    JsonNode s = d.path("spec");
    if (s.isMissingNode()) {
      throw new IllegalArgumentException(DECLARATION + ": no \"spec\"");
    }
    e.setSpec(
        ModelSpec.newBuilder()
            .setModelName(text(s, "model_name"))
            .setParameters(number(s, "parameters"))
            .setLayers(smallNumber(s, "layers"))
            .setHeads(smallNumber(s, "heads"))
            .setHeadDim(smallNumber(s, "head_dim"))
            .setSeqLen(smallNumber(s, "seq_len"))
            .setPlannedTokens(number(s, "planned_tokens"))
            .setGpuCount(smallNumber(s, "gpu_count"))
            .setGpuType(text(s, "gpu_type"))
            .build());
    JsonNode p = d.path("provenance");
    if (p.isMissingNode()) {
      throw new IllegalArgumentException(
          DECLARATION + ": no \"provenance\" (init scratch or base_model, at least)");
    }
    String init = text(p, "init"); // its values, and the rest, are checked as the intake does
    List<ThirdPartyComponent> components = new ArrayList<>();
    for (JsonNode c : p.path("components")) {
      components.add(
          ThirdPartyComponent.newBuilder()
              .setName(text(c, "name"))
              .setSource(text(c, "source"))
              .setLicense(text(c, "license"))
              .setHash(text(c, "hash"))
              .build());
    }
    e.setProvenance(
        RunProvenance.newBuilder()
            .setInit(init)
            .setBaseModel(optional(p, "base_model"))
            .setBaseModelHash(optional(p, "base_model_hash"))
            .setTokenizer(optional(p, "tokenizer"))
            .setDataMixtureId(optional(p, "data_mixture_id"))
            .setComponents(components)
            .build());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.path(field);
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException(DECLARATION + ": \"" + field + "\" must be a string");
    }
    return v.asText();
  }

  private static String optional(JsonNode n, String field) {
    return n.path(field).isMissingNode() || n.path(field).isNull() ? null : text(n, field);
  }

  private static int smallNumber(JsonNode n, String field) {
    long v = number(n, field);
    if (v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(DECLARATION + ": \"" + field + "\" is too large");
    }
    return (int) v;
  }

  private static long number(JsonNode n, String field) {
    JsonNode v = n.path(field);
    if (!v.canConvertToLong() || v.asLong() <= 0) {
      throw new IllegalArgumentException(
          DECLARATION + ": \"" + field + "\" must be a positive whole number");
    }
    return v.asLong();
  }

  /** SHA-256 over a file, or over a directory's files: relative path, NUL, file hash, newline. */
  static String contentHash(Path path) throws IOException {
    if (Files.isRegularFile(path)) {
      return "sha256:" + fileHash(path);
    }
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(CHECKPOINT_PATH + " " + path + " does not exist");
    }
    MessageDigest tree = sha256();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(path)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    for (Path f : files) {
      String rel = path.relativize(f).toString().replace('\\', '/');
      tree.update((rel + "\0" + fileHash(f) + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return "sha256:" + HexFormat.of().formatHex(tree.digest());
  }

  private static String fileHash(Path f) throws IOException {
    MessageDigest d = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(f), d)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The event_hash of the run's last event on the team's intake (null: none yet). A run's events
   * share its key and so one partition, which is read to its end.
   */
  static String chainHead(CollectorConfig config, Topic<String, RunLifecycle> topic, String key) {
    Map<String, Object> c = KafkaClients.of(config).consumer("kai-run-event", null, Map.of());
    try (KafkaConsumer<String, RunLifecycle> consumer =
        new KafkaConsumer<>(
            c, new StringDeserializer(), topic.valueSerde(config.serdeConfig()).deserializer())) {
      int partitions = consumer.partitionsFor(topic.name()).size();
      TopicPartition p =
          new TopicPartition(
              topic.name(),
              Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions);
      consumer.assign(List.of(p));
      consumer.seekToBeginning(List.of(p));
      long end = consumer.endOffsets(List.of(p)).get(p);
      String head = null;
      while (consumer.position(p) < end) {
        for (ConsumerRecord<String, RunLifecycle> r : consumer.poll(Duration.ofMillis(500))) {
          if (key.equals(r.key()) && r.value() != null) {
            head = r.value().getEventHash();
          }
        }
      }
      return head;
    }
  }

  public static void main(String[] args) {
    int status = 0;
    try {
      Map<String, Object> values = ConfigLoader.load(DEF, args, System.getenv());
      AbstractConfig settings = new AbstractConfig(DEF, values, false);
      CollectorConfig config = new CollectorConfig(values);
      String team = config.team();
      long now = System.currentTimeMillis();
      RunLifecycle event = event(settings, team, now);
      List<String> problems = Validation.check(event, now);
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "the event would be quarantined by the intake: " + String.join("; ", problems));
      }
      Topic<String, RunLifecycle> topic = config.topics().team(team).runLifecycle;
      String key = Keys.of(team, event.getRunId());
      String head = chainHead(config, topic, key);
      RunLifecycle sealed = RunChain.seal(event, head);
      try (KafkaProducer<String, RunLifecycle> producer =
          new KafkaProducer<>(
              config.producerConfig("kai-run-event", null),
              new StringSerializer(),
              topic.valueSerde(config.serdeConfig()).serializer())) {
        producer
            .send(new ProducerRecord<>(topic.name(), null, sealed.getTsMs(), key, sealed))
            .get();
      }
      System.out.println(
          "run-event: "
              + sealed.getKind()
              + " of "
              + key
              + " recorded"
              + (sealed.getCheckpointHash() == null ? "" : " (" + sealed.getCheckpointHash() + ")")
              + ", "
              + (head == null ? "the run's first event" : "after " + head)
              + "; event_hash "
              + sealed.getEventHash());
    } catch (Exception e) {
      System.err.println("run-event failed: " + e.getMessage());
      status = 1;
    }
    System.exit(status);
  }
}
