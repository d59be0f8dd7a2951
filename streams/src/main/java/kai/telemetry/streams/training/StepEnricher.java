package kai.telemetry.streams.training;

import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.streams.support.LateByTeam;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Walks each run's steps and lifecycle events in order, keeping per-run state (store {@link
 * TrainingKpiJob#RUN_STATE_STORE}): the model spec from STARTED, TensorBoard's debiased EMA of the
 * loss, the EWMA baseline spikes are measured against, interruptions, and productive time for ETTR.
 * Each step goes on annotated; lifecycle events only change the state.
 *
 * <p>ETTR = productive time / wall time since the run started, where productive time is the sum of
 * the intervals between consecutive steps that set a new highest step, outside interruptions:
 * recomputation after a restart from a checkpoint and the downtime itself are not productive.
 */
public final class StepEnricher implements FixedKeyProcessor<String, SpecificRecord, EnrichedStep> {

  /** Tuning of the smoothing and spike detection. */
  public record Settings(
      double emaWeight,
      double spikeThreshold,
      double baselineAlpha,
      int warmupSteps,
      int rebaselineSteps) {

    Settings(double emaWeight, double spikeThreshold, double baselineAlpha, int warmupSteps) {
      this(emaWeight, spikeThreshold, baselineAlpha, warmupSteps, 20);
    }
  }

  private final Settings settings;
  private final long windowMs;
  private final long graceMs;
  private FixedKeyProcessorContext<String, EnrichedStep> context;
  private KeyValueStore<String, RunState> store;
  private LateByTeam lateByTeam;

  StepEnricher(Settings settings, java.time.Duration window, java.time.Duration grace) {
    this.settings = settings;
    this.windowMs = window.toMillis();
    this.graceMs = grace.toMillis();
  }

  @Override
  public void init(FixedKeyProcessorContext<String, EnrichedStep> context) {
    this.context = context;
    this.store = context.getStateStore(TrainingKpiJob.RUN_STATE_STORE);
    this.lateByTeam =
        new LateByTeam(
            context.metrics(), "kai-training", context.taskId().toString(), "late-step-dropped");
  }

  @Override
  public void close() {
    lateByTeam.close();
  }

  @Override
  public void process(FixedKeyRecord<String, SpecificRecord> record) {
    RunState state = store.get(record.key());
    if (state == null) {
      state = RunState.newBuilder().build();
    }
    switch (record.value()) {
      case RunLifecycle l -> lifecycle(state, l);
      case TrainingStep s -> {
        // The run minute's window will drop a step this late; counted per team here. The run's
        // state (smoothing, productive time) still takes it.
        lateByTeam.late(s.getTeam(), s.getTsMs(), windowMs, graceMs, context.currentStreamTimeMs());
        context.forward(record.withValue(step(state, s)));
      }
      case null, default -> {
        return;
      }
    }
    store.put(record.key(), state);
  }

  private static void lifecycle(RunState state, RunLifecycle l) {
    switch (l.getKind()) {
      case STARTED -> {
        if (state.getStartedMs() == null) {
          state.setStartedMs(l.getTsMs());
        }
        if (l.getSpec() != null) {
          var spec = l.getSpec();
          state.setParameters(spec.getParameters());
          state.setLayers(spec.getLayers());
          state.setHeads(spec.getHeads());
          state.setHeadDim(spec.getHeadDim());
          state.setSeqLen(spec.getSeqLen());
          state.setPlannedTokens(spec.getPlannedTokens());
          state.setGpuCount(spec.getGpuCount());
          state.setGpuType(spec.getGpuType());
        }
      }
      case INTERRUPTED -> {
        state.setInterruptions(state.getInterruptions() + 1);
        state.setDown(true);
      }
      case RESUMED -> {
        state.setDown(false);
        state.setLastStepTs(l.getTsMs());
      }
      default -> {
        // CHECKPOINT_SAVED, FINISHED, UNKNOWN: nothing to track here
      }
    }
  }

  private EnrichedStep step(RunState state, TrainingStep s) {
    long ts = s.getTsMs();
    if (state.getStartedMs() == null) {
      state.setStartedMs(ts); // a run seen without its STARTED event starts at its first step
    }
    if (s.getStep() > state.getMaxStep()) {
      if (state.getLastStepTs() != null && !state.getDown() && ts > state.getLastStepTs()) {
        state.setProductiveMs(state.getProductiveMs() + (ts - state.getLastStepTs()));
      }
      state.setMaxStep(s.getStep());
    }
    state.setLastStepTs(ts);
    state.setDown(false);

    Double loss = s.getLoss();
    boolean nanInf =
        (loss != null && !Double.isFinite(loss))
            || (s.getGradNorm() != null && !Double.isFinite(s.getGradNorm()));
    boolean spike = false;
    if (loss != null && Double.isFinite(loss)) {
      double w = settings.emaWeight();
      state.setEma(w * state.getEma() + (1 - w) * loss);
      state.setEmaN(state.getEmaN() + 1);
      Double baseline = state.getBaseline();
      if (baseline != null
          && state.getBaselineN() >= settings.warmupSteps()
          && loss > baseline * (1 + settings.spikeThreshold())) {
        spike = true; // a spike does not move the baseline it is measured against...
        state.setSpikeRun(state.getSpikeRun() + 1);
        if (state.getSpikeRun() >= settings.rebaselineSteps()) {
          // ...unless it lasts: a sustained level shift (a new data mix, a restart at another
          // learning rate) is the run's new level, not a spike at every step from now on.
          state.setBaseline(loss);
          state.setSpikeRun(0);
        }
      } else {
        double a = settings.baselineAlpha();
        state.setBaseline(baseline == null ? loss : a * loss + (1 - a) * baseline);
        state.setBaselineN(state.getBaselineN() + 1);
        state.setSpikeRun(0);
      }
    }
    Double fpt = null;
    Double peak = null;
    if (state.getParameters() != null) {
      fpt =
          KpiFormulas.flopsPerToken(
              state.getParameters(),
              state.getLayers(),
              state.getHeads(),
              state.getHeadDim(),
              state.getSeqLen());
      Double perGpu = KpiFormulas.peakFlops(state.getGpuType());
      peak = perGpu == null || state.getGpuCount() == null ? null : perGpu * state.getGpuCount();
    }
    long wall = ts - state.getStartedMs();
    return EnrichedStep.newBuilder()
        .setStep(s.getStep())
        .setTsMs(ts)
        .setTokens(s.getTokens())
        .setLoss(loss)
        .setGradNorm(s.getGradNorm())
        .setTokensPerSec(s.getTokensPerSec())
        .setLossSmoothed(
            state.getEmaN() == 0
                ? null
                : KpiFormulas.debiased(state.getEma(), state.getEmaN(), settings.emaWeight()))
        .setSpike(spike)
        .setNanInf(nanInf)
        .setPlannedTokens(state.getPlannedTokens())
        .setFlopsPerToken(fpt)
        .setPeakFlops(peak)
        .setEttr(wall > 0 ? state.getProductiveMs() / (double) wall : null)
        .setInterruptions(state.getInterruptions())
        .build();
  }
}
