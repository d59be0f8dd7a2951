package kai.telemetry.producers.collect;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.TeamTopics;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.Validation;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what a collector parsed: records that pass {@link Validation} go to their event topic
 * in the team's intake with keys that keep order (GPU UUID; team/run), records that fail go to the
 * team's rejects topic with every reason, and parse problems are logged with their position and
 * rejected too. One Avro-capable producer for all of them; with a transactional id the caller
 * brackets batches.
 */
public final class EventPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventPublisher.class);

  private final String collector;
  private final String team;
  private final Topics topics;
  private final TeamTopics intake;
  private final boolean programOffice;
  private final KafkaProducer<String, SpecificRecord> producer;
  private final AtomicReference<Exception> failure = new AtomicReference<>();
  final AtomicLong published = new AtomicLong();
  final AtomicLong rejected = new AtomicLong();
  final AtomicLong problems = new AtomicLong();
  private final Tally publishedByKind = new Tally();
  private final Tally rejectedByReason = new Tally();
  private final Tally skippedByReason = new Tally();

  public EventPublisher(CollectorConfig config, String collector, String transactionalId) {
    this.collector = collector;
    this.team = config.team();
    this.topics = config.topics();
    this.intake = topics.team(team);
    this.programOffice = config.publishesAsProgramOffice();
    this.producer =
        new KafkaProducer<>(
            config.producerConfig("kai-" + collector, transactionalId),
            new org.apache.kafka.common.serialization.StringSerializer(),
            avroSerializer(config));
    if (transactionalId != null) {
      producer.initTransactions();
    }
    requireRejectsTopic();
  }

  /**
   * Fails at start, with what to do, when the topic every collector may write (its rejects) is
   * missing or not this principal's: otherwise the first send would wait and fail without saying.
   */
  private void requireRejectsTopic() {
    String topic = rejectsTopic();
    try {
      producer.partitionsFor(topic);
    } catch (org.apache.kafka.common.errors.AuthorizationException e) {
      producer.close(Duration.ZERO);
      throw new IllegalStateException(
          collector
              + ": these credentials may not write "
              + topic
              + (programOffice
                  ? " (official imports run as the program office)"
                  : " (a team's collectors run as its principal team-" + team + ")"),
          e);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      producer.close(Duration.ZERO);
      throw new IllegalStateException(
          collector
              + ": topic "
              + topic
              + " does not exist"
              + (programOffice
                  ? ""
                  : ": team "
                      + team
                      + "'s intake is not provisioned (kai provision-kafka"
                      + " provision.teams=...,"
                      + team
                      + ")"),
          e);
    }
  }

  private String rejectsTopic() {
    return programOffice ? topics.collectorRejects.name() : intake.collectorRejects.name();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Serializer<SpecificRecord> avroSerializer(CollectorConfig config) {
    Serializer s = new kai.telemetry.schemas.registry.AvroSerializer();
    s.configure(config.serdeConfig(), false);
    return s;
  }

  public KafkaProducer<String, SpecificRecord> producer() {
    return producer;
  }

  public Topics topics() {
    return topics;
  }

  /** The collector's team's intake topics, where everything it publishes as the team goes. */
  public TeamTopics intake() {
    return intake;
  }

  public void gpuSamples(Parsed<GpuSample> parsed, long nowMs) {
    reportProblems(parsed.problems(), nowMs);
    for (GpuSample s : parsed.records()) {
      List<String> why = Validation.check(s, nowMs);
      if (why.isEmpty()) {
        send(intake.gpuSamples.name(), s.getGpuUuid(), s.getTsMs(), s);
        publishedByKind.add("GPU samples", 1);
      } else {
        outOfRange(s.getGpuUuid() + " at " + s.getTsMs(), why, s.toString(), nowMs);
      }
    }
  }

  public void trainingSteps(Parsed<TrainingStep> parsed, long nowMs) {
    reportProblems(parsed.problems(), nowMs);
    for (TrainingStep s : parsed.records()) {
      List<String> why = Validation.check(s, nowMs);
      if (why.isEmpty()) {
        send(intake.trainingSteps.name(), runKey(s.getTeam(), s.getRunId()), s.getTsMs(), s);
        publishedByKind.add("training steps", 1);
      } else {
        outOfRange(s.getSource(), why, s.toString(), nowMs);
      }
    }
  }

  /** Named scalars of training runs (validation loss, eval metrics), checked like steps. */
  public void trainingScalars(List<TrainingScalar> scalars, long nowMs) {
    for (TrainingScalar s : scalars) {
      List<String> why = Validation.check(s, nowMs);
      if (why.isEmpty()) {
        send(intake.trainingScalars.name(), runKey(s.getTeam(), s.getRunId()), s.getTsMs(), s);
        publishedByKind.add("scalars", 1);
      } else {
        outOfRange(s.getSource() + " " + s.getName(), why, s.toString(), nowMs);
      }
    }
  }

  /** Input the collector passed over, by why (lines of no record this format reads). */
  public void skipped(java.util.Map<String, Long> byReason) {
    byReason.forEach(skippedByReason::add);
  }

  public void benchmarkResults(Parsed<BenchmarkResult> parsed, long nowMs) {
    reportProblems(parsed.problems(), nowMs);
    for (BenchmarkResult r : parsed.records()) {
      List<String> why = Validation.check(r, nowMs);
      if (why.isEmpty()) {
        // Official results are the program office's, on the attributed topic (the broker lets
        // only its credentials write there); a team's own go through its intake.
        send(
            r.getEvaluator() == Evaluator.OFFICIAL
                ? topics.benchmarkResults.name()
                : intake.benchmarkResults.name(),
            r.getTeam(),
            r.getTsMs(),
            r);
        publishedByKind.add("benchmark results", 1);
      } else {
        outOfRange(r.getSource() + " " + r.getTask(), why, r.toString(), nowMs);
      }
    }
  }

  /** Key of a run's records: team and run id, so all of a run's events share a partition. */
  public static String runKey(String team, String runId) {
    return Keys.of(team, runId);
  }

  /** Sends a record of the input: counted as published. */
  public void send(String topic, String key, long tsMs, SpecificRecord value) {
    sendUncounted(topic, key, tsMs, value);
    published.incrementAndGet();
  }

  /** Sends a record that is not the input's (a follower's position): not counted. */
  public void sendUncounted(String topic, String key, long tsMs, SpecificRecord value) {
    producer.send(
        new ProducerRecord<>(topic, null, tsMs, key, value),
        (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  private void reportProblems(List<Problem> list, long nowMs) {
    for (Problem p : list) {
      problems.incrementAndGet();
      log.warn("{}: cannot read {}", collector, p);
      reject(p.source(), p.reason(), p.raw(), nowMs);
    }
  }

  private void outOfRange(String source, List<String> why, String raw, long nowMs) {
    Problem p = new Problem(source, String.join("; ", why), raw); // capped and redacted
    log.warn("{}: rejected {}: {}", collector, p.source(), p.reason());
    reject(p.source(), p.reason(), p.raw(), nowMs);
  }

  /** Sends a reject; {@code reason} and {@code raw} come capped and redacted ({@link Problem}). */
  private void reject(String source, String reason, String raw, long nowMs) {
    rejected.incrementAndGet();
    rejectedByReason.add(Tally.kind(reason), 1);
    RejectedRecord r =
        RejectedRecord.newBuilder()
            .setTeam(team)
            .setCollector(collector)
            .setSource(source)
            .setReason(reason)
            .setRaw(raw)
            .setTsMs(nowMs)
            .build();
    producer.send(
        new ProducerRecord<>(rejectsTopic(), null, nowMs, team, r),
        (meta, e) -> {
          if (e != null) {
            failure.compareAndSet(null, e);
          }
        });
  }

  /** Waits for every send; fails with the first error. */
  public void flush() {
    producer.flush();
    throwIfFailed();
  }

  public void throwIfFailed() {
    Exception e = failure.getAndSet(null);
    if (e != null) {
      throw new IllegalStateException(collector + ": publishing failed: " + e.getMessage(), e);
    }
  }

  /**
   * What the collector did, for the console: records of the input published (by kind), rejected (by
   * reason) and input passed over (by reason), one line each.
   */
  public String summary() {
    StringBuilder b =
        new StringBuilder(collector)
            .append(": published ")
            .append(published)
            .append(publishedByKind.isEmpty() ? "" : " (" + publishedByKind.inline() + ")")
            .append(", rejected ")
            .append(rejected)
            .append(" (of which ")
            .append(problems)
            .append(" unreadable)");
    skippedByReason.total().ifPresent(n -> b.append(", passed over ").append(n));
    rejectedByReason.lines("  rejected: ").forEach(l -> b.append('\n').append(l));
    skippedByReason.lines("  passed over: ").forEach(l -> b.append('\n').append(l));
    return b.toString();
  }

  public long published() {
    return published.get();
  }

  /** What a collector did, for its summary and its exit status. */
  public record Totals(String summary, long published, long rejected) {}

  public Totals totals() {
    return new Totals(summary(), published.get(), rejected.get());
  }

  public long rejected() {
    return rejected.get();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    log.info("{}", summary());
  }
}
