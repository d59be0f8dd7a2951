package kai.telemetry.streams.program;

import java.util.ArrayList;
import java.util.List;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.kpis.BenchmarkStanding;
import kai.telemetry.kpis.PhaseScoreboard;
import kai.telemetry.kpis.PhaseStanding;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.AnySpecificRecordSerde;
import kai.telemetry.streams.support.EventTimeExtractor;
import kai.telemetry.streams.support.ValidIds;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.Stores;

/**
 * Benchmark standings and the phase scoreboard. Its inputs (teams, benchmark catalogue and rules
 * from the reference topics; official benchmark results; expert and user scores; derivative models)
 * are single-partition topics read by one processor, so every input lands in the same task and
 * state. Any change recomputes the scoreboard: a new rule, an elimination or a late score is
 * reflected at once, with a higher version.
 */
public final class ScoreboardJob {
  public static final String JOB = "scoreboard-job";

  /** The typed serdes of the inputs and outputs, supplied by the caller (registry or not). */
  public interface ValueSerdes {
    <V extends SpecificRecord> Serde<V> of(Topic<String, V> topic);
  }

  private ScoreboardJob() {}

  public static Topology build(Topics topics, ValueSerdes serdes) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ScoreboardProcessor.STORE),
            Serdes.String(),
            new AnySpecificRecordSerde()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(ScoreboardProcessor.VERSION_STORE),
            Serdes.String(),
            Serdes.Long()));
    KStream<String, SpecificRecord> inputs = null;
    for (Topic<String, ? extends SpecificRecord> t :
        List.<Topic<String, ? extends SpecificRecord>>of(
            topics.teams,
            topics.benchmarks,
            topics.evaluationRules,
            topics.benchmarkResults,
            topics.evaluationScores,
            topics.derivativeModels)) {
      KStream<String, SpecificRecord> s =
          source(builder, t, serdes, topics.streamsDeadLetters.name());
      inputs =
          inputs == null
              ? s
              : inputs.merge(s, Named.as("merge-" + t.name().replace(topics.prefix(), "")));
    }
    inputs
        .process(
            ScoreboardProcessor::new,
            Named.as("scoreboard"),
            ScoreboardProcessor.STORE,
            ScoreboardProcessor.VERSION_STORE)
        .split(Named.as("program-kpi-"))
        .branch(
            (k, v) -> v instanceof PhaseStanding,
            Branched.withConsumer(
                s ->
                    s.mapValues(v -> (PhaseStanding) v, Named.as("as-phase-standing"))
                        .to(
                            topics.phaseStandings.name(),
                            Produced.with(Serdes.String(), serdes.of(topics.phaseStandings))
                                .withName("phase-standings-sink")),
                "phase-standings"))
        .branch(
            (k, v) -> v instanceof BenchmarkStanding,
            Branched.withConsumer(
                s ->
                    s.mapValues(v -> (BenchmarkStanding) v, Named.as("as-standing"))
                        .to(
                            topics.benchmarkStandings.name(),
                            Produced.with(Serdes.String(), serdes.of(topics.benchmarkStandings))
                                .withName("standings-sink")),
                "standings"))
        .branch(
            (k, v) -> v instanceof PhaseScoreboard,
            Branched.withConsumer(
                s ->
                    s.mapValues(v -> (PhaseScoreboard) v, Named.as("as-scoreboard"))
                        .to(
                            topics.phaseScoreboard.name(),
                            Produced.with(Serdes.String(), serdes.of(topics.phaseScoreboard))
                                .withName("scoreboard-sink")),
                "scoreboard"));
    return builder.build();
  }

  private static <V extends SpecificRecord> KStream<String, SpecificRecord> source(
      StreamsBuilder builder, Topic<String, V> topic, ValueSerdes serdes, String deadLetters) {
    String name = topic.name().substring(topic.name().indexOf("kai."));
    return ValidIds.only(
            builder.stream(
                topic.name(),
                Consumed.with(Serdes.String(), serdes.of(topic))
                    .withTimestampExtractor(new EventTimeExtractor())
                    .withName(name + "-source")),
            name,
            v -> !(v instanceof BenchmarkResult r) || reasons(r).isEmpty(),
            v -> reasons((BenchmarkResult) v),
            deadLetters)
        .mapValues(v -> (SpecificRecord) v, Named.as(name + "-as-input"));
  }

  /** What is wrong with a benchmark result's ids (teams report results directly). */
  private static List<String> reasons(BenchmarkResult r) {
    List<String> why = new ArrayList<>();
    Ids.team(why, r.getTeam());
    Ids.id(why, "benchmark", r.getBenchmark());
    return why;
  }

  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    Topology topology =
        build(
            topics,
            new ValueSerdes() {
              @Override
              public <V extends SpecificRecord> Serde<V> of(Topic<String, V> topic) {
                return topic.valueSerde(config.serdeConfig());
              }
            });
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }

  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KpiJobs.runUntilShutdown(JOB, start(config), config.getInt(KpiStreamsConfig.METRICS_PORT));
  }
}
