package kai.telemetry.streams.training;

import java.time.Duration;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.InternalAvroSerde;
import kai.telemetry.streams.support.RunEvents;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Training KPIs per run per 1-minute event-time window: steps, tokens and tokens/s, loss
 * last/min/max/mean and its debiased EMA, NaN/Inf and spike counts, grad norm, and the run's
 * progress, ETA, MFU, ETTR and interruptions. Steps and lifecycle events share their key (team/run)
 * and partitioning, so no repartition is needed before the per-run state.
 */
public final class TrainingKpiJob {
  public static final String JOB = "training-kpi-job";
  public static final String RUN_STATE_STORE = "run-state-store";
  public static final String RUN_MINUTE_STORE = "run-minute-store";

  private TrainingKpiJob() {}

  public static Topology build(
      Topics topics,
      Serde<TrainingStep> stepSerde,
      Serde<RunLifecycle> lifecycleSerde,
      Serde<RunMinute> kpiSerde,
      Duration windowSize,
      Duration grace,
      StepEnricher.Settings settings) {
    Serde<EnrichedStep> enrichedSerde = new InternalAvroSerde<>(EnrichedStep.class);
    Serde<RunMinuteState> minuteSerde = new InternalAvroSerde<>(RunMinuteState.class);
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(RUN_STATE_STORE),
            Serdes.String(),
            new InternalAvroSerde<>(RunState.class)));
    RunEvents.stream(builder, topics, stepSerde, lifecycleSerde)
        .processValues(
            () -> new StepEnricher(settings, windowSize, grace),
            Named.as("enrich-steps"),
            RUN_STATE_STORE)
        .groupByKey(Grouped.with("by-run", Serdes.String(), enrichedSerde))
        .windowedBy(TimeWindows.ofSizeAndGrace(windowSize, grace))
        .aggregate(
            () -> RunMinuteState.newBuilder().build(),
            (run, step, state) -> add(state, step),
            Named.as("run-minute-aggregate"),
            Materialized.<String, RunMinuteState, WindowStore<Bytes, byte[]>>as(RUN_MINUTE_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(minuteSerde)
                .withRetention(windowSize.plus(grace).plus(Duration.ofHours(1))))
        .toStream(Named.as("run-minute-updates"))
        .map((w, s) -> KeyValue.pair(w.key(), toKpi(w, s)), Named.as("to-run-minute"))
        .to(
            topics.runMinute.name(),
            Produced.with(Serdes.String(), kpiSerde).withName("run-minute-sink"));
    return builder.build();
  }

  static RunMinuteState add(RunMinuteState s, EnrichedStep e) {
    RunMinuteState.Builder b = RunMinuteState.newBuilder(s).setSteps(s.getSteps() + 1);
    EnrichedStep last = s.getLast();
    // The last step is the latest by event time (a restart from a checkpoint lowers step numbers).
    if (last == null
        || e.getTsMs() > last.getTsMs()
        || (e.getTsMs() == last.getTsMs() && e.getStep() >= last.getStep())) {
      b.setLast(e);
    }
    Double loss = e.getLoss();
    if (loss != null && Double.isFinite(loss)) {
      b.setLossMin(s.getLossMin() == null ? loss : Math.min(s.getLossMin(), loss));
      b.setLossMax(s.getLossMax() == null ? loss : Math.max(s.getLossMax(), loss));
      b.setLossSum(s.getLossSum() + loss);
      b.setLossN(s.getLossN() + 1);
    }
    if (e.getNanInf()) {
      b.setNanInf(s.getNanInf() + 1);
    }
    if (e.getSpike()) {
      b.setSpikes(s.getSpikes() + 1);
    }
    Double g = e.getGradNorm();
    if (g != null && Double.isFinite(g)) {
      b.setGradSum(s.getGradSum() + g);
      b.setGradN(s.getGradN() + 1);
      b.setGradMax(s.getGradMax() == null ? g : Math.max(s.getGradMax(), g));
    }
    Double tps = e.getTokensPerSec();
    if (tps != null && Double.isFinite(tps)) {
      b.setTpsSum(s.getTpsSum() + tps);
      b.setTpsN(s.getTpsN() + 1);
    }
    return b.build();
  }

  static RunMinute toKpi(Windowed<String> window, RunMinuteState s) {
    EnrichedStep last = s.getLast();
    String[] teamRun = Keys.parts(window.key(), 2).toArray(String[]::new);
    Double tps = s.getTpsN() == 0 ? null : s.getTpsSum() / s.getTpsN();
    Long planned = last.getPlannedTokens();
    Long tokens = last.getTokens();
    Double progress =
        planned == null || tokens == null || planned == 0 ? null : tokens * 100.0 / planned;
    // At the recent throughput, stretched by the run's observed downtime: a run productive 80% of
    // its wall time (ETTR 0.8) takes 1/0.8 of its compute time to finish.
    Double ettr = last.getEttr();
    Double eta =
        planned == null || tokens == null || tps == null || tps <= 0
            ? null
            : Math.max(0, planned - tokens) / tps / (ettr != null && ettr > 0 ? ettr : 1.0);
    return RunMinute.newBuilder()
        .setTeam(teamRun[0])
        .setRunId(teamRun.length > 1 ? teamRun[1] : "")
        .setWindowStartMs(window.window().start())
        .setWindowEndMs(window.window().end())
        .setSteps(s.getSteps())
        .setLastStep(last.getStep())
        .setLastTsMs(last.getTsMs())
        .setTokens(tokens)
        .setTokensPerSec(tps)
        .setLossLast(last.getLoss())
        .setLossMin(s.getLossMin())
        .setLossMax(s.getLossMax())
        .setLossMean(s.getLossN() == 0 ? null : s.getLossSum() / s.getLossN())
        .setLossSmoothed(last.getLossSmoothed())
        .setNanInfCount(s.getNanInf())
        .setSpikeCount(s.getSpikes())
        .setGradNormMean(s.getGradN() == 0 ? null : s.getGradSum() / s.getGradN())
        .setGradNormMax(s.getGradMax())
        .setPlannedTokens(planned)
        .setProgressPct(progress)
        .setEtaSeconds(eta)
        .setMfu(KpiFormulas.mfu(tps, last.getFlopsPerToken(), last.getPeakFlops()))
        .setEttr(last.getEttr())
        .setInterruptions(last.getInterruptions())
        .setVersion(s.getSteps())
        .build();
  }

  static StepEnricher.Settings settings(KpiStreamsConfig config) {
    return new StepEnricher.Settings(
        config.getDouble(KpiStreamsConfig.LOSS_EMA_WEIGHT),
        config.getDouble(KpiStreamsConfig.SPIKE_THRESHOLD),
        config.getDouble(KpiStreamsConfig.SPIKE_BASELINE_ALPHA),
        config.getInt(KpiStreamsConfig.SPIKE_WARMUP_STEPS),
        config.getInt(KpiStreamsConfig.SPIKE_REBASELINE_STEPS));
  }

  /** Starts the job; the caller closes the returned instance. */
  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    Topology topology =
        build(
            topics,
            topics.trainingSteps.valueSerde(config.serdeConfig()),
            topics.runLifecycle.valueSerde(config.serdeConfig()),
            topics.runMinute.valueSerde(config.serdeConfig()),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.WINDOW_SIZE_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.GRACE_MS)),
            settings(config));
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }

  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KpiJobs.runUntilShutdown(JOB, start(config), config.getInt(KpiStreamsConfig.METRICS_PORT));
  }
}
