package kai.telemetry.producers.simulator;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.program.Benchmark;
import kai.telemetry.producers.program.Team;

/**
 * One team's pre-training run, tick by tick, deterministic for a seed:
 *
 * <ul>
 *   <li>loss follows a data-scaling law in tokens, L(D) = E + B / D^beta, with noise;
 *   <li>spikes (x1.3-2.5 for one step) with {@link #SPIKE_P} per step; rarely the run diverges
 *       (loss NaN) and is restarted from its last checkpoint;
 *   <li>checkpoints every {@link #CHECKPOINT_EVERY} steps; interruptions (GPU XID faults, node
 *       failures, preemption) with {@link #INTERRUPT_P} per tick, a few ticks down, then a resume
 *       from the last checkpoint (the steps since are recomputed);
 *   <li>after every {@link #EVAL_EVERY_CHECKPOINTS} checkpoints, benchmark scores that approach the
 *       frontier references as tokens grow.
 * </ul>
 */
public final class TrainingRunSimulator {
  public static final double SPIKE_P = 0.01;
  public static final double DIVERGE_P = 0.0005;
  public static final double INTERRUPT_P = 0.002;
  public static final int CHECKPOINT_EVERY = 50;
  public static final int EVAL_EVERY_CHECKPOINTS = 4;
  public static final double TARGET_MFU = 0.4;

  /** How far the simulated validation loss sits above the training loss curve. */
  public static final double VAL_GAP = 0.05;

  private static final double E = 1.69;
  private static final double B = 410.0;
  private static final double BETA = 0.28;
  private static final String[] REASONS = {
    "xid-79", "xid-48", "node-failure", "nccl-timeout", "preempted"
  };

  /** What one tick produced, and the state the fleet should show. */
  public record Tick(
      List<TrainingStep> steps,
      List<TrainingScalar> scalars,
      List<RunLifecycle> lifecycle,
      List<BenchmarkResult> benchmarks,
      boolean down,
      Integer faultyGpuIndex,
      Integer xid) {}

  private final Team team;
  private final String runId;

  /** event_hash of the run's last event, the next one's prev_hash (null before the first). */
  private String chainHead;

  private final ModelSpec spec;
  private final List<Benchmark> catalogue;
  private final SplittableRandom random;
  private final long tokensPerStep;
  private final double stepsPerTick;

  private boolean started;
  private long step;
  private long lastCheckpoint;
  private int checkpoints;
  private int downTicks;
  private boolean diverged;
  private Integer faultyGpu;
  private Integer xid;
  private double stepCarry;

  /**
   * @param claimFactor how much more throughput (and so tokens) the run claims than its GPUs
   *     deliver at the target MFU: 1 for an honest run
   */
  public TrainingRunSimulator(
      Team team,
      int teamOrdinal,
      int gpus,
      long intervalMs,
      List<Benchmark> catalogue,
      long seed,
      double claimFactor) {
    this.team = team;
    this.runId = team.id() + "-pt-" + (1 + Math.floorMod(seed, 90));
    this.catalogue = catalogue;
    this.random = new SplittableRandom(seed * 31 + teamOrdinal);
    int layers = 48 + 8 * (teamOrdinal % 4);
    int heads = 32 + 8 * (teamOrdinal % 3);
    int headDim = 128;
    long d = (long) heads * headDim;
    long params = 12L * layers * d * d;
    this.spec =
        ModelSpec.newBuilder()
            .setModelName(team.id() + "-foundation-" + Math.round(params / 1e9) + "b")
            .setParameters(params)
            .setLayers(layers)
            .setHeads(heads)
            .setHeadDim(headDim)
            .setSeqLen(4096)
            .setPlannedTokens(2_000_000_000_000L)
            .setGpuCount(gpus)
            .setGpuType(team.gpuType())
            .build();
    // A step every ~4 s of wall time, whatever the sampling interval.
    this.stepsPerTick = Math.max(1.0, intervalMs / 4000.0);
    // Throughput at a plausible 40% MFU (PaLM appendix B FLOPs per token, dense BF16 peak).
    double flopsPerToken = 6.0 * params + 12.0 * layers * heads * headDim * spec.getSeqLen();
    Double known = kai.telemetry.schemas.GpuPeaks.peakFlops(team.gpuType());
    double peak = known != null ? known : 989e12; // a demo team on a GPU the reference lacks
    double tokensPerSec = claimFactor * TARGET_MFU * gpus * peak / flopsPerToken;
    double stepSeconds = intervalMs / 1000.0 / stepsPerTick;
    this.tokensPerStep =
        Math.max(
            spec.getSeqLen(),
            Math.round(tokensPerSec * stepSeconds / spec.getSeqLen()) * spec.getSeqLen());
  }

  public String runId() {
    return runId;
  }

  public ModelSpec spec() {
    return spec;
  }

  public long step() {
    return step;
  }

  /** Tokens consumed per optimizer step (a whole number of sequences). */
  public long tokensPerStep() {
    return tokensPerStep;
  }

  public Tick tick(long tsMs, long intervalMs) {
    List<TrainingStep> steps = new ArrayList<>();
    List<TrainingScalar> scalars = new ArrayList<>();
    List<RunLifecycle> life = new ArrayList<>();
    List<BenchmarkResult> benchmarks = new ArrayList<>();
    if (!started) {
      started = true;
      life.add(sealed(event(tsMs, RunEventKind.STARTED, 0L, null).setSpec(spec)));
    }
    if (downTicks > 0) {
      downTicks--;
      if (downTicks == 0) {
        step = lastCheckpoint;
        diverged = false;
        faultyGpu = null;
        xid = null;
        life.add(sealed(event(tsMs, RunEventKind.RESUMED, lastCheckpoint, null)));
      }
      return new Tick(steps, scalars, life, benchmarks, true, faultyGpu, xid);
    }
    if (random.nextDouble() < INTERRUPT_P) {
      String reason = REASONS[random.nextInt(REASONS.length)];
      if (reason.startsWith("xid-")) {
        faultyGpu = random.nextInt(Math.max(1, spec.getGpuCount()));
        xid = Integer.parseInt(reason.substring(4));
      }
      downTicks = 2 + random.nextInt(4);
      life.add(sealed(event(tsMs, RunEventKind.INTERRUPTED, step, reason)));
      return new Tick(steps, scalars, life, benchmarks, true, faultyGpu, xid);
    }
    stepCarry += stepsPerTick;
    int n = (int) stepCarry;
    stepCarry -= n;
    for (int i = 0; i < n; i++) {
      step++;
      long ts = tsMs - (long) ((n - 1 - i) * (intervalMs / (double) n));
      long tokens = step * tokensPerStep;
      double loss;
      if (diverged || random.nextDouble() < DIVERGE_P) {
        diverged = true;
        loss = Double.NaN;
      } else {
        loss = E + B / Math.pow(tokens, BETA) + random.nextDouble(-0.02, 0.02);
        if (random.nextDouble() < SPIKE_P) {
          loss *= random.nextDouble(1.3, 2.5);
        }
      }
      double stepMs = intervalMs / (double) n;
      steps.add(
          TrainingStep.newBuilder()
              .setTeam(team.id())
              .setRunId(runId)
              .setStep(step)
              .setTsMs(ts)
              .setTokens(tokens)
              .setLoss(loss)
              .setLearningRate(3e-4 * Math.min(1.0, step / 2000.0))
              .setGradNorm(diverged ? Double.POSITIVE_INFINITY : 0.3 + random.nextDouble(0, 0.4))
              .setTokensPerSec(tokensPerStep / (stepMs / 1000.0))
              .setStepTimeMs(stepMs)
              .setSource("simulator")
              .build());
      if (diverged) {
        // The team notices, and restarts from the last checkpoint.
        downTicks = 3;
        life.add(sealed(event(ts, RunEventKind.INTERRUPTED, step, "divergence")));
        return new Tick(steps, scalars, life, benchmarks, true, null, null);
      }
      if (step % CHECKPOINT_EVERY == 0) {
        lastCheckpoint = step;
        checkpoints++;
        life.add(sealed(event(ts, RunEventKind.CHECKPOINT_SAVED, step, null)));
        // Validation at each checkpoint: held-out loss a little above the training curve (no
        // random draw, so the run's other events stay those of its seed).
        scalars.add(
            TrainingScalar.newBuilder()
                .setTeam(team.id())
                .setRunId(runId)
                .setStep(step)
                .setTsMs(ts)
                .setName("val_loss")
                .setValue(E + B / Math.pow(tokens, BETA) + VAL_GAP)
                .setSource("simulator")
                .build());
        if (checkpoints % EVAL_EVERY_CHECKPOINTS == 0) {
          benchmarks.addAll(evaluate(ts, tokens));
        }
      }
    }
    return new Tick(steps, scalars, life, benchmarks, false, null, null);
  }

  private List<BenchmarkResult> evaluate(long ts, long tokens) {
    List<BenchmarkResult> out = new ArrayList<>();
    double progress =
        Math.min(1.0, Math.log10(1 + tokens / 1e8) / Math.log10(1 + spec.getPlannedTokens() / 1e8));
    for (Benchmark b : catalogue) {
      if (b.frontierScore() == null) {
        continue;
      }
      double ratio = Math.min(1.0, 0.55 + 0.45 * progress + random.nextDouble(-0.03, 0.03));
      double score = Math.min(b.scaleMax(), b.frontierScore() * ratio);
      out.add(
          BenchmarkResult.newBuilder()
              .setTeam(team.id())
              .setModel(spec.getModelName())
              .setCheckpoint(runId + "/step-" + lastCheckpoint)
              .setBenchmark(b.id())
              .setTask(b.id())
              .setMetric(b.metric())
              .setScore(Math.round(score * 10_000) / 10_000.0)
              .setScaleMax(b.scaleMax())
              // A team's own evaluation: only the program office publishes official results.
              .setEvaluator(Evaluator.SELF_REPORTED)
              .setSource("simulator")
              .setTsMs(ts)
              .build());
    }
    return out;
  }

  /**
   * The event as the run's chain records it: after the previous one, with its hash (RunChain); a
   * checkpoint with a content hash, a start with what the run starts from.
   */
  private RunLifecycle sealed(RunLifecycle.Builder event) {
    if (event.getKind() == RunEventKind.CHECKPOINT_SAVED) {
      event.setCheckpointHash(
          kai.telemetry.schemas.RunChain.hash(
              java.util.Map.of("run_id", runId, "step", String.valueOf(event.getStep()))));
    }
    if (event.getKind() == RunEventKind.STARTED) {
      event.setProvenance(
          kai.telemetry.events.RunProvenance.newBuilder()
              .setInit("scratch")
              .setTokenizer(team.id() + "-tokenizer-v1")
              .setDataMixtureId(team.id() + "-mix-1")
              .build());
    }
    RunLifecycle sealed = kai.telemetry.schemas.RunChain.seal(event.build(), chainHead);
    chainHead = sealed.getEventHash();
    return sealed;
  }

  private RunLifecycle.Builder event(long ts, RunEventKind kind, Long atStep, String reason) {
    return RunLifecycle.newBuilder()
        .setTeam(team.id())
        .setRunId(runId)
        .setTsMs(ts)
        .setKind(kind)
        .setStep(atStep)
        .setReason(reason);
  }
}
