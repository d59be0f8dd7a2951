package kai.telemetry.producers.program;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.events.DerivativeModel;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code kai register-derivatives}: the program office registers models others published on a
 * team's model (the diffusion index counts them), from a CSV with the header {@code
 * derivative,base_model,team,publisher,published,source}: the derivative's published name (a hub
 * repository id), the team's model it derives from, the team, who published it, the date
 * (YYYY-MM-DD, or an ISO-8601 instant) and where it was found. Every line is checked first (a known
 * team, ids that are ids, a date not in the future); one bad line refuses the file. The same
 * derivative registered again counts once.
 */
public final class RegisterDerivatives {
  public static final String FILE = "derivatives.file";
  static final String HEADER = "derivative,base_model,team,publisher,published,source";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              FILE,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "CSV of derivative models: " + HEADER + ".");

  private RegisterDerivatives() {}

  /** Registers the file's derivatives; returns one line per record sent. Throws when it refuses. */
  public static List<String> run(AbstractConfig config, Path file, long nowMs) {
    Topics topics = CommonSettings.topics(config);
    Map<String, Object> serde = CommonSettings.serdeConfig(config);
    Map<String, TeamInfo> teams = ProgramOffice.current(config, topics.teams, serde);
    List<String> problems = new ArrayList<>();
    List<ProducerRecord<String, DerivativeModel>> records = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (ProgramOffice.Line line : ProgramOffice.csv(file, HEADER)) {
      DerivativeModel m =
          parse(line.text(), "line " + line.number() + ": ", teams, nowMs, problems);
      if (m != null) {
        records.add(
            new ProducerRecord<>(topics.derivativeModels.name(), null, nowMs, m.getTeam(), m));
        sent.add(m.getTeam() + " " + m.getBaseModel() + " <- " + m.getDerivative());
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          file + " refused, nothing was registered: " + String.join("; ", problems));
    }
    AvroSerializer<DerivativeModel> values = new AvroSerializer<>();
    values.configure(serde, false);
    try (KafkaProducer<String, DerivativeModel> producer =
        new KafkaProducer<>(
            KafkaClients.of(config).producer("kai-register-derivatives"),
            new StringSerializer(),
            values)) {
      ProgramOffice.sendAll(producer, records);
    }
    return sent;
  }

  private static DerivativeModel parse(
      String line, String at, Map<String, TeamInfo> teams, long nowMs, List<String> problems) {
    String[] f = line.split(",", -1);
    if (f.length != 6) {
      problems.add(at + "expected 6 fields (" + HEADER + "), got " + f.length);
      return null;
    }
    int before = problems.size();
    String derivative = f[0].strip();
    String base = f[1].strip();
    String team = f[2].strip();
    String publisher = f[3].strip();
    String source = f[5].strip();
    if (!Ids.isId(derivative)) {
      problems.add(at + "derivative " + Ids.shown(derivative) + " is not an id (e.g. org/model)");
    }
    if (!Ids.isId(base)) {
      problems.add(at + "base_model " + Ids.shown(base) + " is not an id");
    }
    if (!teams.containsKey(team)) {
      problems.add(at + "team " + Ids.shown(team) + " is not a team of the program");
    }
    if (!publisher.isEmpty() && !Ids.isId(publisher)) {
      problems.add(at + "publisher " + Ids.shown(publisher) + " is not an id");
    }
    if (source.length() > 500 || source.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      problems.add(at + "source must be at most 500 characters without spaces or controls");
    }
    Long published = null;
    String date = f[4].strip();
    try {
      published =
          date.length() == 10
              ? LocalDate.parse(date).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()
              : Instant.parse(date).toEpochMilli();
      if (published > nowMs + 86_400_000L) {
        problems.add(at + "published " + date + " is in the future");
      }
    } catch (DateTimeParseException e) {
      problems.add(at + "published " + Ids.shown(date) + " is not YYYY-MM-DD or an ISO instant");
    }
    if (problems.size() > before) {
      return null;
    }
    return DerivativeModel.newBuilder()
        .setTeam(team)
        .setBaseModel(base)
        .setDerivative(derivative)
        .setPublisher(publisher.isEmpty() ? null : publisher)
        .setTsMs(published)
        .setSource(source.isEmpty() ? null : source)
        .build();
  }

  public static void main(String[] args) {
    try {
      AbstractConfig config =
          new AbstractConfig(DEF, ConfigLoader.load(DEF, args, System.getenv()));
      Path file = Path.of(config.getString(FILE));
      List<String> sent = run(config, file, System.currentTimeMillis());
      sent.forEach(s -> System.out.println("register-derivatives: " + s));
      System.out.printf(
          "register-derivatives: %s: %d derivative models registered%n", file, sent.size());
    } catch (RuntimeException e) {
      System.err.println("register-derivatives: " + e.getMessage());
      System.exit(1);
    }
  }
}
