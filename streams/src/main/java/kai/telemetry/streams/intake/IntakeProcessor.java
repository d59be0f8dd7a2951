package kai.telemetry.streams.intake;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.Validation;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks one intake record against the team whose topic it arrived on and routes it: to its
 * attributed topic, keyed as that topic's contract says (a team cannot steer a record into another
 * team's key), or to the quarantine with the reason. A registry that cannot be reached or refuses
 * the job is not the record's fault: that fails the job, which stops rather than quarantining good
 * data.
 */
final class IntakeProcessor implements Processor<byte[], byte[], String, Routed> {
  private static final Logger log = LoggerFactory.getLogger(IntakeProcessor.class);

  private final Topics topics;
  private final Map<String, Deserializer<? extends SpecificRecord>> decoders;
  private final Map<String, Topics.Intake> intakes = new HashMap<>();
  private static final long LOG_EVERY_MS = 10_000;
  private ProcessorContext<String, Routed> context;
  private long quarantined;
  private long lastLogMs = Long.MIN_VALUE / 2;

  private final long maxAheadMs;
  private final double gpuMargin;
  private final int gpuFloor;
  private GpuGuard gpus;

  IntakeProcessor(
      Topics topics,
      Map<String, Deserializer<? extends SpecificRecord>> decoders,
      long maxAheadMs,
      double gpuMargin,
      int gpuFloor) {
    this.topics = topics;
    this.decoders = decoders;
    this.maxAheadMs = maxAheadMs;
    this.gpuMargin = gpuMargin;
    this.gpuFloor = gpuFloor;
  }

  @Override
  public void init(ProcessorContext<String, Routed> context) {
    this.context = context;
    this.gpus =
        new GpuGuard(
            context.getStateStore(GpuGuard.STORE),
            context.getStateStore(GpuGuard.TEAMS_STORE),
            gpuMargin,
            gpuFloor);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    RecordMetadata where = context.recordMetadata().orElseThrow();
    Topics.Intake intake =
        intakes.computeIfAbsent(
            where.topic(),
            t ->
                topics
                    .intake(t)
                    .orElseThrow(() -> new IllegalStateException("not an intake topic: " + t)));
    if (record.value() == null) {
      quarantine(record, intake, where, Quarantine.Cause.NO_VALUE, "a record without a value");
      return;
    }
    SpecificRecord value;
    try {
      value = decoders.get(intake.attributed().name()).deserialize(where.topic(), record.value());
    } catch (SerializationException e) {
      if (SchemaRegistryException.outageBehind(e) != null) {
        throw e; // the registry is down or refuses us: stop, retry after a restart
      }
      quarantine(record, intake, where, Quarantine.Cause.UNREADABLE, e.getMessage());
      return;
    }
    String claimed = String.valueOf(field(value, "team"));
    if (!claimed.equals(intake.team())) {
      quarantine(
          record,
          intake,
          where,
          Quarantine.Cause.NOT_ITS_TEAM,
          "names team "
              + Ids.shown(claimed)
              + " but arrived on the intake of team '"
              + intake.team()
              + "': a team writes only its own data");
      return;
    }
    if (value instanceof BenchmarkResult b && b.getEvaluator() == Evaluator.OFFICIAL) {
      quarantine(
          record,
          intake,
          where,
          Quarantine.Cause.OFFICIAL_CLAIM,
          "a benchmark result marked OFFICIAL on the intake of team '"
              + intake.team()
              + "': only the program office publishes official results");
      return;
    }
    if (field(value, "ts_ms") instanceof Long ts
        && ts > context.currentSystemTimeMs() + maxAheadMs) {
      quarantine(
          record,
          intake,
          where,
          Quarantine.Cause.FUTURE_TIME,
          "event time "
              + java.time.Instant.ofEpochMilli(ts)
              + " is more than "
              + maxAheadMs / 1000
              + " s ahead of the intake's clock: a wrong clock on the sender");
      return;
    }
    List<String> invalid = invalid(value, context.currentSystemTimeMs() + maxAheadMs);
    if (!invalid.isEmpty()) {
      quarantine(
          record,
          intake,
          where,
          Quarantine.Cause.INVALID,
          "refused: " + String.join("; ", invalid));
      return;
    }
    if (value instanceof GpuSample g
        && !gpus.admit(intake.team(), g.getGpuUuid(), context.currentStreamTimeMs())) {
      quarantine(
          record,
          intake,
          where,
          Quarantine.Cause.TOO_MANY_GPUS,
          "GPU "
              + Ids.shown(g.getGpuUuid())
              + " is beyond the "
              + gpus.cap(intake.team())
              + " distinct GPUs per minute the intake takes from team '"
              + intake.team()
              + "' (its allocation x "
              + gpuMargin
              + ")");
      return;
    }
    // The value goes on as it came; the sender's headers do not: no team's metadata reaches a
    // topic the program's readers trust (they might imitate the pipeline's own headers).
    context.forward(
        record
            .withKey(key(value))
            .withValue(new Routed(intake.attributed().name(), record.value()))
            .withHeaders(new RecordHeaders()));
  }

  /** The key the attributed topic's contract gives this record. */
  private static String key(SpecificRecord value) {
    return switch (value) {
      case GpuSample s -> s.getGpuUuid();
      case TrainingStep s -> Keys.of(s.getTeam(), s.getRunId());
      case TrainingScalar s -> Keys.of(s.getTeam(), s.getRunId());
      case RunLifecycle l -> Keys.of(l.getTeam(), l.getRunId());
      case BenchmarkResult b -> b.getTeam();
      case RejectedRecord r -> r.getTeam();
      default -> throw new IllegalStateException("no intake of " + value.getSchema().getName());
    };
  }

  /**
   * What is wrong with the record: the collectors' own checks where there are some ({@code
   * Validation}; the event time already passed the intake's own bound, so {@code nowMs} is that
   * bound), the ids of every id field otherwise.
   */
  private static List<String> invalid(SpecificRecord value, long nowMs) {
    return switch (value) {
      case GpuSample s -> Validation.check(s, nowMs);
      case TrainingStep s -> Validation.check(s, nowMs);
      case TrainingScalar s -> Validation.check(s, nowMs);
      case BenchmarkResult b -> Validation.check(b, nowMs);
      case RunLifecycle l -> Validation.check(l, nowMs);
      default -> badIds(value);
    };
  }

  /** What is wrong with the ids of every id field the record has. */
  private static List<String> badIds(SpecificRecord value) {
    List<String> why = new ArrayList<>();
    for (Schema.Field f : value.getSchema().getFields()) {
      Object v = value.get(f.pos());
      if (v instanceof CharSequence s) {
        String problem = Ids.problem(f.name(), s.toString());
        if (problem != null) {
          why.add(problem);
        }
      }
    }
    return why;
  }

  private static Object field(SpecificRecord value, String name) {
    Schema.Field f = value.getSchema().getField(name);
    return f == null ? null : value.get(f.pos());
  }

  private void quarantine(
      Record<byte[], byte[]> record,
      Topics.Intake intake,
      RecordMetadata where,
      Quarantine.Cause cause,
      String reason) {
    String source = where.topic() + "/" + where.partition() + "@" + where.offset();
    quarantined++;
    long now = context.currentSystemTimeMs();
    if (now - lastLogMs >= LOG_EVERY_MS) { // a flood of bad records must not flood the log
      log.warn(
          "quarantined {} ({}): {}; {} quarantined by this task so far",
          source,
          cause,
          reason,
          quarantined);
      lastLogMs = now;
    }
    if (record.key() != null) {
      record.headers().add(Quarantine.ORIGINAL_KEY, record.key());
    }
    record.headers().add(Quarantine.REASON, reason.getBytes(StandardCharsets.UTF_8));
    record.headers().add(Quarantine.CAUSE, cause.name().getBytes(StandardCharsets.UTF_8));
    record.headers().add(Quarantine.TEAM, intake.team().getBytes(StandardCharsets.UTF_8));
    record.headers().add(Quarantine.SOURCE, source.getBytes(StandardCharsets.UTF_8));
    context.forward(
        record
            .withKey(intake.team())
            .withValue(new Routed(topics.quarantine.name(), record.value())));
  }
}
