package kai.telemetry.producers.program;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.reference.BenchmarkInfo;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Topics;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * {@code kai publish-program}: the program office publishes the program (teams, benchmark
 * catalogue, phase rules) from a program file, as the records of the compacted reference topics.
 * The file is validated whole first; the topics are read to their end, and only what differs is
 * published (a record's publication time aside), each change printed. Refused, with nothing
 * published: an invalid file, and any change to a closed phase's rules (a closed phase's result is
 * final). Run with the program office's credentials: no other principal may write these topics.
 */
public final class PublishProgram {
  public static final String PROGRAM_FILE = "program.file";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              PROGRAM_FILE,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "The program file to publish (JSON: teams, benchmarks, evaluation_rules), or the"
                  + " name of a bundled one: launch-2025-09, after-phase-1-2026-01.");

  private PublishProgram() {}

  /** What a run published; {@code changes} names each record that changed. */
  public record Result(List<String> changes, int unchanged) {}

  /** Publishes {@code program}; throws with the reason when it refuses. */
  public static Result run(AbstractConfig config, ProgramFile program, long nowMs) {
    Topics topics = CommonSettings.topics(config);
    Map<String, Object> serde = CommonSettings.serdeConfig(config);
    Map<String, TeamInfo> teams = ProgramOffice.current(config, topics.teams, serde);
    Map<String, BenchmarkInfo> benchmarks = ProgramOffice.current(config, topics.benchmarks, serde);
    Map<String, EvaluationRules> rules =
        ProgramOffice.current(config, topics.evaluationRules, serde);

    List<ProducerRecord<String, SpecificRecordBase>> out = new ArrayList<>();
    List<String> changes = new ArrayList<>();
    List<String> refused = new ArrayList<>();
    int unchanged = 0;
    for (EvaluationRules r : ReferenceData.rules(program, nowMs)) {
      String key = Integer.toString(r.getPhase());
      EvaluationRules was = rules.get(key);
      if (was != null && was.getClosedMs() != null && !sameRules(was, r)) {
        refused.add("phase " + r.getPhase() + " is closed: its rules cannot change");
      }
    }
    if (!refused.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", refused) + "; nothing was published");
    }
    unchanged +=
        diff(
            ReferenceData.teams(program, nowMs),
            teams,
            TeamInfo::getId,
            t -> TeamInfo.newBuilder(t).setUpdatedMs(0).build(),
            topics.teams.name(),
            "team",
            out,
            changes);
    unchanged +=
        diff(
            ReferenceData.benchmarks(program, nowMs),
            benchmarks,
            BenchmarkInfo::getId,
            b -> BenchmarkInfo.newBuilder(b).setUpdatedMs(0).build(),
            topics.benchmarks.name(),
            "benchmark",
            out,
            changes);
    unchanged +=
        diff(
            ReferenceData.rules(program, nowMs),
            rules,
            r -> Integer.toString(r.getPhase()),
            r -> EvaluationRules.newBuilder(r).setUpdatedMs(0).build(),
            topics.evaluationRules.name(),
            "rules of phase",
            out,
            changes);
    if (!out.isEmpty()) {
      kai.telemetry.schemas.registry.AvroSerializer<SpecificRecordBase> values =
          new kai.telemetry.schemas.registry.AvroSerializer<>();
      values.configure(serde, false);
      try (KafkaProducer<String, SpecificRecordBase> producer =
          new KafkaProducer<>(
              KafkaClients.of(config).producer("kai-publish-program"),
              new org.apache.kafka.common.serialization.StringSerializer(),
              values)) {
        // Teams and catalogue first, acknowledged, then the rules a millisecond later: a rules
        // record that closes a phase must meet the teams' final state, never the one before.
        String rulesTopic = topics.evaluationRules.name();
        send(producer, out.stream().filter(r -> !r.topic().equals(rulesTopic)).toList(), nowMs);
        send(producer, out.stream().filter(r -> r.topic().equals(rulesTopic)).toList(), nowMs + 1);
      }
    }
    return new Result(changes, unchanged);
  }

  private static void send(
      KafkaProducer<String, SpecificRecordBase> producer,
      List<ProducerRecord<String, SpecificRecordBase>> records,
      long timestampMs) {
    ProgramOffice.sendAll(
        producer,
        records.stream()
            .map(r -> new ProducerRecord<>(r.topic(), null, timestampMs, r.key(), r.value()))
            .toList());
  }

  private static boolean sameRules(EvaluationRules a, EvaluationRules b) {
    return EvaluationRules.newBuilder(a)
        .setUpdatedMs(0)
        .build()
        .equals(EvaluationRules.newBuilder(b).setUpdatedMs(0).build());
  }

  /**
   * Adds the records of {@code wanted} that differ from {@code current}; returns how many did not.
   */
  private static <V extends SpecificRecordBase> int diff(
      List<V> wanted,
      Map<String, V> current,
      Function<V, String> key,
      Function<V, V> comparable,
      String topic,
      String what,
      List<ProducerRecord<String, SpecificRecordBase>> out,
      List<String> changes) {
    int same = 0;
    for (V v : wanted) {
      String k = key.apply(v);
      V was = current.get(k);
      if (was != null && comparable.apply(was).equals(comparable.apply(v))) {
        same++;
        continue;
      }
      out.add(new ProducerRecord<>(topic, k, v));
      changes.add((was == null ? "added " : "changed ") + what + " " + k);
    }
    return same;
  }

  public static void main(String[] args) {
    try {
      AbstractConfig config =
          new AbstractConfig(DEF, ConfigLoader.load(DEF, args, System.getenv()));
      String file = config.getString(PROGRAM_FILE);
      Result r = run(config, ProgramFile.load(file), System.currentTimeMillis());
      r.changes().forEach(c -> System.out.println("publish-program: " + c));
      System.out.printf(
          "publish-program: %s: %d records published, %d already current%n",
          file, r.changes().size(), r.unchanged());
    } catch (RuntimeException e) {
      System.err.println("publish-program: " + e.getMessage());
      System.exit(1);
    }
  }
}
