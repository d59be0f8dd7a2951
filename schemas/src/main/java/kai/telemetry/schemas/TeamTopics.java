package kai.telemetry.schemas;

import java.util.List;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.CollectorPosition;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;

/**
 * One team's intake: the topics its collectors write, all under {@link #prefix()}, which the broker
 * lets that team's principal alone write (a prefixed ACL). The intake job reads them, checks that
 * every record belongs to the topic's team, and copies it to the attributed {@code kai.raw.*}
 * topics the KPI jobs and the sink read; nothing else reads a team's intake.
 */
public final class TeamTopics {
  /** The part after the team's prefix of each intake topic, by kind. */
  public static final String GPU_SAMPLES = "gpu-samples.v1";

  public static final String TRAINING_STEPS = "training-steps.v1";
  public static final String TRAINING_SCALARS = "training-scalars.v1";
  public static final String RUN_LIFECYCLE = "run-lifecycle.v1";
  public static final String BENCHMARK_RESULTS = "benchmark-results.v1";
  public static final String COLLECTOR_REJECTS = "collector-rejects.v1";
  public static final String COLLECTOR_POSITIONS = "collector-positions.v1";

  private final String team;
  private final String prefix;

  /** GPU samples, keyed by GPU UUID. */
  public final Topic<String, GpuSample> gpuSamples;

  /** Training steps, keyed by team/run. */
  public final Topic<String, TrainingStep> trainingSteps;

  /** Validation loss and other named scalars, keyed by team/run. */
  public final Topic<String, TrainingScalar> trainingScalars;

  /** Run lifecycle events, keyed by team/run. */
  public final Topic<String, RunLifecycle> runLifecycle;

  /** Self-reported benchmark results, keyed by team. */
  public final Topic<String, BenchmarkResult> benchmarkResults;

  /** Inputs the team's collectors refused, with the reason; keyed by team. */
  public final Topic<String, RejectedRecord> collectorRejects;

  /**
   * The team's log followers' committed file positions (compacted): read back only by the team
   * itself at start, so no other principal can move a team's follower.
   */
  public final Topic<String, CollectorPosition> collectorPositions;

  TeamTopics(Topics catalogue, String team) {
    if (!Ids.isTeam(team)) {
      throw new IllegalArgumentException(
          "team id "
              + Ids.shown(team)
              + " is not lower-case letters, digits and dashes (1-63): it names topics");
    }
    this.team = team;
    this.prefix = catalogue.teamsPrefix() + team + ".";
    // Each intake topic is its attributed topic's twin (formats, partitions), under this prefix.
    gpuSamples = twin(catalogue.gpuSamples, GPU_SAMPLES);
    trainingSteps = twin(catalogue.trainingSteps, TRAINING_STEPS);
    trainingScalars = twin(catalogue.trainingScalars, TRAINING_SCALARS);
    runLifecycle = twin(catalogue.runLifecycle, RUN_LIFECYCLE);
    benchmarkResults = twin(catalogue.benchmarkResults, BENCHMARK_RESULTS);
    collectorRejects = twin(catalogue.collectorRejects, COLLECTOR_REJECTS);
    collectorPositions =
        new Topic<>(
            prefix + COLLECTOR_POSITIONS, Topic.UTF8, Topic.avro(CollectorPosition.class), 1, true);
  }

  private <V> Topic<String, V> twin(Topic<String, V> attributed, String suffix) {
    return new Topic<>(
        prefix + suffix,
        attributed.keyFormat(),
        attributed.valueFormat(),
        attributed.partitions(),
        attributed.compacted(),
        attributed.retentionMs());
  }

  public String team() {
    return team;
  }

  /** The prefix every topic of this team starts with (ends with a dot; team ids have none). */
  public String prefix() {
    return prefix;
  }

  /** Every topic of this team, for creation when the team joins. */
  public List<Topic<?, ?>> all() {
    return List.of(
        gpuSamples,
        trainingSteps,
        trainingScalars,
        runLifecycle,
        benchmarkResults,
        collectorRejects,
        collectorPositions);
  }
}
