package kai.telemetry.streams.support;

import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * A run's steps and lifecycle events as one stream, in event-time order per run: both topics are
 * keyed by team/run and partitioned alike, so a run's events meet in one task without a
 * repartition.
 */
public final class RunEvents {
  private RunEvents() {}

  public static KStream<String, SpecificRecord> stream(
      StreamsBuilder builder,
      Topics topics,
      Serde<TrainingStep> stepSerde,
      Serde<RunLifecycle> lifecycleSerde) {
    KStream<String, SpecificRecord> steps =
        ValidIds.only(
                builder.stream(
                    topics.trainingSteps.name(),
                    Consumed.with(Serdes.String(), stepSerde)
                        .withTimestampExtractor(new EventTimeExtractor())
                        .withName("training-steps-source")),
                "training-steps",
                s -> Ids.isTeam(s.getTeam()) && Ids.isId(s.getRunId()),
                s -> reasons(s.getTeam(), s.getRunId()),
                topics.streamsDeadLetters.name())
            .mapValues(v -> (SpecificRecord) v, Named.as("steps-as-events"));
    KStream<String, SpecificRecord> lifecycle =
        ValidIds.only(
                builder.stream(
                    topics.runLifecycle.name(),
                    Consumed.with(Serdes.String(), lifecycleSerde)
                        .withTimestampExtractor(new EventTimeExtractor())
                        .withName("run-lifecycle-source")),
                "run-lifecycle",
                l -> Ids.isTeam(l.getTeam()) && Ids.isId(l.getRunId()),
                l -> reasons(l.getTeam(), l.getRunId()),
                topics.streamsDeadLetters.name())
            .mapValues(v -> (SpecificRecord) v, Named.as("lifecycle-as-events"));
    return steps.merge(lifecycle, Named.as("run-events"));
  }

  private static java.util.List<String> reasons(String team, String runId) {
    java.util.List<String> why = new java.util.ArrayList<>();
    Ids.team(why, team);
    Ids.id(why, "run_id", runId);
    return why;
  }
}
