package kai.telemetry.schemas;

import java.util.List;
import java.util.regex.Pattern;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.DerivativeModel;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.BenchmarkStanding;
import kai.telemetry.kpis.PhaseScoreboard;
import kai.telemetry.kpis.PhaseStanding;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.BenchmarkInfo;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamInfo;

/**
 * The catalogue of every topic in the pipeline: the one place topic names are spelled.
 *
 * <p>A namespace prefix lets several deployments (or test classes) share one cluster without seeing
 * each other's data; production uses the empty prefix.
 */
public final class Topics {

  /** Where every team's intake topics live: {@code kai.team.<team>.<kind>}. */
  static final String TEAM_TOPICS = "kai.team.";

  private static final Pattern VALID_PREFIX = Pattern.compile("[a-zA-Z0-9._-]*");

  /**
   * GPU samples, keyed by GPU UUID so each GPU's samples stay in order. Like every attributed raw
   * topic, written only by the intake job, from the teams' intake ({@link #team}), once each record
   * is checked to be the topic's team's.
   */
  public final Topic<String, GpuSample> gpuSamples;

  /** Training-step metrics, keyed by team/run so each run's steps stay in order. */
  public final Topic<String, TrainingStep> trainingSteps;

  /**
   * Named values a run logged besides its training loss (validation loss, eval metrics), keyed by
   * team/run like the steps; no KPI reads them, the curves do.
   */
  public final Topic<String, TrainingScalar> trainingScalars;

  /** Run lifecycle events, keyed by team/run (same partitioning as the steps). */
  public final Topic<String, RunLifecycle> runLifecycle;

  /**
   * Benchmark results, keyed by team: the teams' own (self-reported), through the intake job, and
   * the official ones, which only the program office writes.
   */
  public final Topic<String, BenchmarkResult> benchmarkResults;

  /** Expert and user evaluation scores, keyed by team. */
  public final Topic<String, EvaluationScore> evaluationScores;

  /** Derivative models published on a team's model, keyed by team. */
  public final Topic<String, DerivativeModel> derivativeModels;

  /** Reference: the program's teams (compacted, keyed by team id). */
  public final Topic<String, TeamInfo> teams;

  /** Reference: the benchmark catalogue with frontier scores (compacted, keyed by benchmark id). */
  public final Topic<String, BenchmarkInfo> benchmarks;

  /** Reference: evaluation rules per phase (compacted, keyed by phase number). */
  public final Topic<String, EvaluationRules> evaluationRules;

  /** Inputs collectors refused (out of range, malformed), with the reason; keyed by team. */
  public final Topic<String, RejectedRecord> collectorRejects;

  /**
   * Records a team's intake held back (its team is not the topic's, it claims to be official, it
   * cannot be read, its ids fail): the original bytes, keyed by the intake's team, with the reason
   * and the source in headers ({@code kai.quarantine.*}). Nothing downstream counts them.
   */
  public final Topic<byte[], byte[]> quarantine;

  /** Per-team fleet KPI per 1-minute window, keyed by team id. */
  public final Topic<String, TeamFleetMinute> teamFleetMinute;

  /** Fleet KPIs per team and cluster per 1-minute window, keyed by team/cluster. */
  public final Topic<String, TeamFleetMinute> clusterFleetMinute;

  /** Training KPIs per run per 1-minute window, keyed by team/run. */
  public final Topic<String, RunMinute> runMinute;

  /** Latest official score per team and benchmark vs the frontier, keyed by team/benchmark. */
  public final Topic<String, BenchmarkStanding> benchmarkStandings;

  /** Phase scoreboard rows, keyed by phase/team. */
  public final Topic<String, PhaseScoreboard> phaseScoreboard;

  /** A closed phase's final standings, emitted once when it closes (key phase/team/benchmark). */
  public final Topic<String, PhaseStanding> phaseStandings;

  /** Alert episodes (OPEN, then RESOLVED), keyed by alert id. */
  public final Topic<String, Alert> alerts;

  /** Records the ClickHouse sink could not decode or write: original bytes plus reason headers. */
  public final Topic<byte[], byte[]> sinkDeadLetters;

  /** Samples the KPI jobs could not decode: original bytes plus the error in headers. */
  public final Topic<byte[], byte[]> streamsDeadLetters;

  private final String prefix;

  private Topics(String prefix) {
    if (!VALID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "topic prefix '" + prefix + "' may only contain letters, digits, '.', '_' and '-'");
    }
    this.prefix = prefix;
    gpuSamples =
        new Topic<>(
            prefix + "kai.raw.gpu-samples.v1", Topic.UTF8, Topic.avro(GpuSample.class), 6, false);
    trainingSteps =
        new Topic<>(
            prefix + "kai.raw.training-steps.v1",
            Topic.UTF8,
            Topic.avro(TrainingStep.class),
            6,
            false);
    trainingScalars =
        new Topic<>(
            prefix + "kai.raw.training-scalars.v1",
            Topic.UTF8,
            Topic.avro(TrainingScalar.class),
            6,
            false);
    runLifecycle =
        new Topic<>(
            prefix + "kai.raw.run-lifecycle.v1",
            Topic.UTF8,
            Topic.avro(RunLifecycle.class),
            6,
            false);
    benchmarkResults =
        new Topic<>(
            prefix + "kai.raw.benchmark-results.v1",
            Topic.UTF8,
            Topic.avro(BenchmarkResult.class),
            1, // rare events; one partition keeps them with the reference data for the scoreboard
            false);
    evaluationScores =
        new Topic<>(
            prefix + "kai.raw.evaluation-scores.v1",
            Topic.UTF8,
            Topic.avro(EvaluationScore.class),
            1,
            false);
    derivativeModels =
        new Topic<>(
            prefix + "kai.raw.derivative-models.v1",
            Topic.UTF8,
            Topic.avro(DerivativeModel.class),
            1,
            false);
    teams =
        new Topic<>(prefix + "kai.ref.teams.v1", Topic.UTF8, Topic.avro(TeamInfo.class), 1, true);
    benchmarks =
        new Topic<>(
            prefix + "kai.ref.benchmarks.v1", Topic.UTF8, Topic.avro(BenchmarkInfo.class), 1, true);
    evaluationRules =
        new Topic<>(
            prefix + "kai.ref.evaluation-rules.v1",
            Topic.UTF8,
            Topic.avro(EvaluationRules.class),
            1,
            true);
    collectorRejects =
        new Topic<>(
            prefix + "kai.rejects.collectors.v1",
            Topic.UTF8,
            Topic.avro(RejectedRecord.class),
            1,
            false);
    // Held-back records are evidence the program office may need long after the alert.
    quarantine =
        new Topic<>(prefix + "kai.quarantine.v1", Topic.BYTES, Topic.BYTES, 1, false)
            .retainedFor(java.time.Duration.ofDays(365));
    teamFleetMinute =
        new Topic<>(
            prefix + "kai.kpi.team-fleet-1m.v1",
            Topic.UTF8,
            Topic.avro(TeamFleetMinute.class),
            3,
            false);
    clusterFleetMinute =
        new Topic<>(
            prefix + "kai.kpi.cluster-fleet-1m.v1",
            Topic.UTF8,
            Topic.avro(TeamFleetMinute.class),
            3,
            false);
    runMinute =
        new Topic<>(
            prefix + "kai.kpi.run-1m.v1", Topic.UTF8, Topic.avro(RunMinute.class), 6, false);
    benchmarkStandings =
        new Topic<>(
            prefix + "kai.kpi.benchmark-standings.v1",
            Topic.UTF8,
            Topic.avro(BenchmarkStanding.class),
            1,
            false);
    phaseScoreboard =
        new Topic<>(
            prefix + "kai.kpi.phase-scoreboard.v1",
            Topic.UTF8,
            Topic.avro(PhaseScoreboard.class),
            1,
            false);
    phaseStandings =
        new Topic<>(
            prefix + "kai.kpi.phase-standings.v1",
            Topic.UTF8,
            Topic.avro(PhaseStanding.class),
            1,
            false);
    alerts = new Topic<>(prefix + "kai.alerts.v1", Topic.UTF8, Topic.avro(Alert.class), 3, false);
    sinkDeadLetters =
        new Topic<>(prefix + "kai.dlq.clickhouse-sink.v1", Topic.BYTES, Topic.BYTES, 1, false);
    streamsDeadLetters =
        new Topic<>(prefix + "kai.dlq.kpi-streams.v1", Topic.BYTES, Topic.BYTES, 1, false);
  }

  /** The production catalogue. */
  public static Topics defaults() {
    return new Topics("");
  }

  /** A catalogue whose every name starts with {@code prefix}. */
  public static Topics withPrefix(String prefix) {
    return new Topics(prefix);
  }

  public String prefix() {
    return prefix;
  }

  /** Team {@code team}'s intake topics. */
  public TeamTopics team(String team) {
    return new TeamTopics(this, team);
  }

  /** The prefix under which every team's intake topics live (the intake job reads under it). */
  public String teamsPrefix() {
    return prefix + TEAM_TOPICS;
  }

  /**
   * The intake topics the intake job copies to attributed topics: every team's GPU samples,
   * training steps, run lifecycle, benchmark results and collector rejects (not positions).
   */
  public Pattern intakePattern() {
    return Pattern.compile(
        Pattern.quote(teamsPrefix())
            + "("
            + Ids.TEAM.pattern()
            + ")\\.("
            + String.join(
                "|",
                java.util.stream.Stream.of(
                        TeamTopics.GPU_SAMPLES,
                        TeamTopics.TRAINING_STEPS,
                        TeamTopics.TRAINING_SCALARS,
                        TeamTopics.RUN_LIFECYCLE,
                        TeamTopics.BENCHMARK_RESULTS,
                        TeamTopics.COLLECTOR_REJECTS)
                    .map(Pattern::quote)
                    .toList())
            + ")");
  }

  /** An intake topic read: whose it is, and the attributed topic its records go on to. */
  public record Intake(String team, String topic, Topic<String, ?> attributed) {}

  /** The intake topic named {@code topic}, if it is one ({@link #intakePattern()}). */
  public java.util.Optional<Intake> intake(String topic) {
    var m = intakePattern().matcher(topic);
    if (!m.matches()) {
      return java.util.Optional.empty();
    }
    Topic<String, ?> attributed =
        switch (m.group(2)) {
          case TeamTopics.GPU_SAMPLES -> gpuSamples;
          case TeamTopics.TRAINING_STEPS -> trainingSteps;
          case TeamTopics.TRAINING_SCALARS -> trainingScalars;
          case TeamTopics.RUN_LIFECYCLE -> runLifecycle;
          case TeamTopics.BENCHMARK_RESULTS -> benchmarkResults;
          case TeamTopics.COLLECTOR_REJECTS -> collectorRejects;
          default -> throw new IllegalStateException("intake kind " + m.group(2));
        };
    return java.util.Optional.of(new Intake(m.group(1), topic, attributed));
  }

  /** Every topic, for creation at start-up. */
  public List<Topic<?, ?>> all() {
    return List.of(
        gpuSamples,
        trainingSteps,
        trainingScalars,
        runLifecycle,
        benchmarkResults,
        evaluationScores,
        derivativeModels,
        teams,
        benchmarks,
        evaluationRules,
        collectorRejects,
        quarantine,
        teamFleetMinute,
        clusterFleetMinute,
        runMinute,
        benchmarkStandings,
        phaseScoreboard,
        phaseStandings,
        alerts,
        sinkDeadLetters,
        streamsDeadLetters);
  }
}
