package kai.telemetry.producers.program;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.events.EvaluationKind;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.PhaseCategories;
import kai.telemetry.schemas.TeamPhases;
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
 * {@code kai submit-evaluations}: the program office submits a phase's evaluation scores from a CSV
 * file with the header {@code phase,team,category,score,max_score,evaluator} ({@code kind} is
 * accepted for {@code category}, as older files name it). The category is one of the phase's rules:
 * an evaluation category ({@code expert}, the expert review; {@code user}, the public evaluation;
 * or any the rules add), a benchmark category whose points the evaluation body published (they
 * replace the computed ones), or {@code benchmark}: the whole benchmark block's published points.
 * Every line is checked against the published program before anything is sent: the phase has rules
 * and is not closed, the category is the phase's, the team is in that phase, {@code 0 <= score <=
 * max_score}, ids are ids. One bad line refuses the whole file, each problem named with its line; a
 * later submission for the same phase, team and category replaces the earlier one.
 */
public final class SubmitEvaluations {
  public static final String FILE = "evaluations.file";
  static final String HEADER = "phase,team,category,score,max_score,evaluator";
  static final String OLD_HEADER = "phase,team,kind,score,max_score,evaluator";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              FILE,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "CSV of evaluation scores: " + HEADER + ".");

  private SubmitEvaluations() {}

  /** Submits the file's scores; returns one line per score sent. Throws when it refuses. */
  public static List<String> run(AbstractConfig config, Path file, long nowMs) {
    Topics topics = CommonSettings.topics(config);
    Map<String, Object> serde = CommonSettings.serdeConfig(config);
    Map<String, TeamInfo> teams = ProgramOffice.current(config, topics.teams, serde);
    Map<String, EvaluationRules> rules =
        ProgramOffice.current(config, topics.evaluationRules, serde);
    List<String> problems = new ArrayList<>();
    List<ProducerRecord<String, EvaluationScore>> records = new ArrayList<>();
    List<String> sent = new ArrayList<>();
    for (ProgramOffice.Line line : ProgramOffice.csv(file, HEADER, OLD_HEADER)) {
      EvaluationScore s = parse(line.text(), line.number(), teams, rules, nowMs, problems);
      if (s != null) {
        records.add(
            new ProducerRecord<>(topics.evaluationScores.name(), null, nowMs, s.getTeam(), s));
        sent.add(
            String.format(
                Locale.ROOT,
                "phase %d %s %s %s/%s%s",
                s.getPhase(),
                s.getTeam(),
                PhaseCategories.of(s),
                s.getScore(),
                s.getMaxScore(),
                s.getEvaluator() == null ? "" : " (" + s.getEvaluator() + ")"));
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(
          file + " refused, nothing was submitted: " + String.join("; ", problems));
    }
    AvroSerializer<EvaluationScore> values = new AvroSerializer<>();
    values.configure(serde, false);
    try (KafkaProducer<String, EvaluationScore> producer =
        new KafkaProducer<>(
            KafkaClients.of(config).producer("kai-submit-evaluations"),
            new StringSerializer(),
            values)) {
      ProgramOffice.sendAll(producer, records);
    }
    return sent;
  }

  static EvaluationScore parse(
      String line,
      int n,
      Map<String, TeamInfo> teams,
      Map<String, EvaluationRules> rules,
      long nowMs,
      List<String> problems) {
    String at = "line " + n + ": ";
    String[] f = line.split(",", -1);
    if (f.length != 6) {
      problems.add(at + "expected 6 fields (" + HEADER + "), got " + f.length);
      return null;
    }
    int before = problems.size();
    Integer phase = null;
    try {
      phase = Integer.parseInt(f[0].strip());
    } catch (NumberFormatException e) {
      problems.add(at + "phase " + Ids.shown(f[0]) + " is not a number");
    }
    String team = f[1].strip();
    String category = f[2].strip().toLowerCase(Locale.ROOT);
    EvaluationKind kind =
        switch (category) {
          case PhaseCategories.EXPERT -> EvaluationKind.EXPERT;
          case PhaseCategories.USER -> EvaluationKind.USER;
          case PhaseCategories.ALL_BENCHMARKS -> EvaluationKind.BENCHMARK;
          default -> EvaluationKind.OTHER;
        };
    double score = number(f[3], "score", at, problems);
    double max = number(f[4], "max_score", at, problems);
    if (max <= 0) {
      problems.add(at + "max_score must be above 0");
    } else if (score < 0 || score > max) {
      problems.add(at + "score " + score + " is outside 0.." + max);
    }
    String evaluator = f[5].strip();
    if (!evaluator.isEmpty() && !Ids.isId(evaluator)) {
      problems.add(at + "evaluator " + Ids.shown(evaluator) + " is not an id");
    }
    if (phase != null) {
      EvaluationRules r = rules.get(Integer.toString(phase));
      if (r == null) {
        problems.add(at + "phase " + phase + " has no published rules");
      } else if (r.getClosedMs() != null) {
        problems.add(at + "phase " + phase + " is closed: its evaluations are final");
      } else {
        List<String> categories =
            PhaseCategories.of(r).stream().map(c -> c.getId().toString()).toList();
        boolean block =
            category.equals(PhaseCategories.ALL_BENCHMARKS)
                && PhaseCategories.of(r).stream().anyMatch(PhaseCategories::fromBenchmarks);
        if (!block && !categories.contains(category)) {
          problems.add(
              at
                  + "category "
                  + Ids.shown(f[2])
                  + " is not one of phase "
                  + phase
                  + "'s: "
                  + String.join(", ", categories)
                  + ", or benchmark (the whole benchmark block)");
        }
      }
      TeamInfo t = teams.get(team);
      if (t == null) {
        problems.add(at + "team " + Ids.shown(team) + " is not a team of the program");
      } else if (!TeamPhases.inPhase(t, phase)) {
        problems.add(at + "team " + team + " is not in phase " + phase);
      }
    }
    if (problems.size() > before) {
      return null;
    }
    return EvaluationScore.newBuilder()
        .setPhase(phase)
        .setTeam(team)
        .setKind(kind)
        .setCategory(kind == EvaluationKind.BENCHMARK ? null : category)
        .setScore(score)
        .setMaxScore(max)
        .setEvaluator(evaluator.isEmpty() ? null : evaluator)
        .setTsMs(nowMs)
        .build();
  }

  private static double number(String s, String name, String at, List<String> problems) {
    try {
      double d = Double.parseDouble(s.strip());
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    problems.add(at + name + " " + Ids.shown(s) + " is not a finite number");
    return Double.NaN;
  }

  public static void main(String[] args) {
    try {
      AbstractConfig config =
          new AbstractConfig(DEF, ConfigLoader.load(DEF, args, System.getenv()));
      Path file = Path.of(config.getString(FILE));
      List<String> sent = run(config, file, System.currentTimeMillis());
      sent.forEach(s -> System.out.println("submit-evaluations: " + s));
      System.out.printf("submit-evaluations: %s: %d scores submitted%n", file, sent.size());
    } catch (RuntimeException e) {
      System.err.println("submit-evaluations: " + e.getMessage());
      System.exit(1);
    }
  }
}
