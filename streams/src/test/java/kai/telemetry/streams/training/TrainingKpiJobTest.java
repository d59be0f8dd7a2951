package kai.telemetry.streams.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.PlainAvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Training KPIs worked out by hand: EMA weight 0.5, spike threshold 20%, baseline alpha 0.5,
 * warm-up 2, re-baseline after 3 consecutive spikes.
 */
class TrainingKpiJobTest {
  private static final String RUN = "upstage/solar-pt-1";
  private static final long S = 1_000;
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, TrainingStep> steps;
  private TestInputTopic<String, RunLifecycle> lifecycle;
  private TestOutputTopic<String, RunMinute> out;

  @BeforeEach
  void setUp() {
    var stepSerde = new PlainAvroSerde<>(TrainingStep.class);
    var lifeSerde = new PlainAvroSerde<>(RunLifecycle.class);
    var kpiSerde = new PlainAvroSerde<>(RunMinute.class);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "training-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    driver =
        new TopologyTestDriver(
            TrainingKpiJob.build(
                topics,
                stepSerde,
                lifeSerde,
                kpiSerde,
                Duration.ofMinutes(1),
                Duration.ofSeconds(10),
                new StepEnricher.Settings(0.5, 0.2, 0.5, 2, 3)),
            props);
    steps =
        driver.createInputTopic(
            topics.trainingSteps.name(), Serdes.String().serializer(), stepSerde.serializer());
    lifecycle =
        driver.createInputTopic(
            topics.runLifecycle.name(), Serdes.String().serializer(), lifeSerde.serializer());
    out =
        driver.createOutputTopic(
            topics.runMinute.name(), Serdes.String().deserializer(), kpiSerde.deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private void life(long ts, RunEventKind kind, Long step, ModelSpec spec) {
    lifecycle.pipeInput(
        RUN,
        RunLifecycle.newBuilder()
            .setTeam("upstage")
            .setRunId("solar-pt-1")
            .setTsMs(ts)
            .setKind(kind)
            .setStep(step)
            .setSpec(spec)
            .build(),
        ts);
  }

  private void step(long ts, long step, Long tokens, Double loss, Double grad, Double tps) {
    steps.pipeInput(
        RUN,
        TrainingStep.newBuilder()
            .setTeam("upstage")
            .setRunId("solar-pt-1")
            .setStep(step)
            .setTsMs(ts)
            .setTokens(tokens)
            .setLoss(loss)
            .setGradNorm(grad)
            .setTokensPerSec(tps)
            .build(),
        ts);
  }

  /** The last update of each window, by window start. */
  private Map<Long, RunMinute> lastPerWindow(List<RunMinute> updates) {
    Map<Long, RunMinute> m = new LinkedHashMap<>();
    updates.forEach(u -> m.put(u.getWindowStartMs(), u));
    return m;
  }

  @Test
  void lossCurveSmoothingSpikesNanProgressMfuAndEttrAcrossARestart() {
    // N=1000, L=2, H=2, Q=4, T=8: 6N + 12LHQT = 6000 + 1536 = 7536 FLOPs per token; 2 x H100.
    life(
        0,
        RunEventKind.STARTED,
        0L,
        ModelSpec.newBuilder()
            .setModelName("m")
            .setParameters(1000)
            .setLayers(2)
            .setHeads(2)
            .setHeadDim(4)
            .setSeqLen(8)
            .setPlannedTokens(1000)
            .setGpuCount(2)
            .setGpuType("H100")
            .build());
    step(10 * S, 1, 100L, 4.0, 1.0, 10.0);
    step(20 * S, 2, 200L, 2.0, 3.0, 20.0);
    step(30 * S, 3, 300L, 6.0, Double.NaN, 30.0); // 6 > baseline 3 x 1.2: a spike; NaN grad norm
    step(40 * S, 4, 400L, Double.NaN, null, null); // diverged
    life(50 * S, RunEventKind.INTERRUPTED, 4L, null);
    life(70 * S, RunEventKind.RESUMED, 2L, null);
    step(80 * S, 3, 300L, 3.0, 1.0, 10.0); // recomputation: not productive
    step(90 * S, 4, 400L, 2.8, 1.0, 10.0);
    step(100 * S, 5, 500L, 2.6, 1.0, 10.0); // new progress: +10 s productive

    List<RunMinute> updates = out.readValuesToList();
    assertThat(updates).hasSize(7); // one update per step
    Map<Long, RunMinute> windows = lastPerWindow(updates);
    assertThat(windows).containsOnlyKeys(0L, 60 * S);

    RunMinute w0 = windows.get(0L);
    assertThat(w0.getTeam()).isEqualTo("upstage");
    assertThat(w0.getRunId()).isEqualTo("solar-pt-1");
    assertThat(w0.getWindowEndMs()).isEqualTo(60 * S);
    assertThat(w0.getSteps()).isEqualTo(4);
    assertThat(w0.getVersion()).isEqualTo(4);
    assertThat(w0.getLastStep()).isEqualTo(4);
    assertThat(w0.getLastTsMs()).isEqualTo(40 * S);
    assertThat(w0.getTokens()).isEqualTo(400L);
    assertThat(w0.getLossLast()).isNaN();
    assertThat(w0.getLossMin()).isEqualTo(2.0);
    assertThat(w0.getLossMax()).isEqualTo(6.0);
    assertThat(w0.getLossMean()).isEqualTo(4.0);
    // EMA: s = 2, 2, 4 (NaN skipped); debiased 4 / (1 - 0.5^3) = 4.5714...
    assertThat(w0.getLossSmoothed()).isCloseTo(4.0 / 0.875, within(1e-12));
    assertThat(w0.getNanInfCount()).isEqualTo(2);
    assertThat(w0.getSpikeCount()).isEqualTo(1);
    assertThat(w0.getGradNormMean()).isEqualTo(2.0);
    assertThat(w0.getGradNormMax()).isEqualTo(3.0);
    assertThat(w0.getTokensPerSec()).isEqualTo(20.0);
    assertThat(w0.getPlannedTokens()).isEqualTo(1000L);
    assertThat(w0.getProgressPct()).isEqualTo(40.0);
    // 600 tokens left at 20 tokens/s, stretched by the downtime seen so far (ETTR 0.75).
    assertThat(w0.getEtaSeconds()).isEqualTo(40.0);
    assertThat(w0.getMfu()).isCloseTo(20.0 * 7536 / (2 * 989e12), within(1e-24));
    assertThat(w0.getEttr()).isEqualTo(0.75); // 30 s productive of 40 s
    assertThat(w0.getInterruptions()).isZero();

    RunMinute w1 = windows.get(60 * S);
    assertThat(w1.getSteps()).isEqualTo(3);
    assertThat(w1.getLastStep()).isEqualTo(5);
    assertThat(w1.getLossLast()).isEqualTo(2.6);
    assertThat(w1.getLossMean()).isCloseTo((3.0 + 2.8 + 2.6) / 3, within(1e-12));
    // EMA continues over the restart: s = 3.5, 3.15, 2.875 with t = 4, 5, 6.
    assertThat(w1.getLossSmoothed()).isCloseTo(2.875 / (1 - 1.0 / 64), within(1e-12));
    assertThat(w1.getSpikeCount()).isZero();
    assertThat(w1.getNanInfCount()).isZero();
    assertThat(w1.getInterruptions()).isEqualTo(1);
    assertThat(w1.getEttr()).isEqualTo(0.4); // 40 s productive of 100 s
    assertThat(w1.getProgressPct()).isEqualTo(50.0);
    assertThat(w1.getEtaSeconds()).isEqualTo(125.0); // 500 tokens at 10 tokens/s, / ETTR 0.4
  }

  /**
   * A lasting rise of the loss is a spike for kpi.spike.rebaseline.steps (3 here) steps, then the
   * run's new level: not a spike at every later step.
   */
  @Test
  void aSustainedLevelShiftBecomesTheNewBaseline() {
    double[] losses = {2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0};
    for (int i = 0; i < losses.length; i++) {
      step((i + 1) * S, i + 1, 100L * (i + 1), losses[i], null, null);
    }
    RunMinute w0 = lastPerWindow(out.readValuesToList()).get(0L);
    assertThat(w0.getSteps()).isEqualTo(8);
    assertThat(w0.getSpikeCount()).isEqualTo(3); // steps 4, 5 and 6; from step 7 the level is 3
  }

  @Test
  void lateStepsBeyondGraceAreDroppedAndOutOfOrderWithinGraceCount() {
    step(10 * S, 1, 100L, 4.0, null, null);
    step(65 * S, 2, 200L, 3.0, null, null); // stream time 65 s
    step(50 * S, 9, 900L, 1.0, null, null); // window 0 still open (closes at 70 s)
    step(75 * S, 3, 300L, 2.0, null, null); // window 0 closes
    step(59 * S, 8, 800L, 5.0, null, null); // too late: dropped
    Map<Long, RunMinute> windows = lastPerWindow(out.readValuesToList());
    assertThat(windows.get(0L).getSteps()).isEqualTo(2);
    assertThat(windows.get(0L).getLastStep()).isEqualTo(9); // the latest by event time
    assertThat(windows.get(0L).getLossMin()).isEqualTo(1.0);
    assertThat(windows.get(60 * S).getSteps()).isEqualTo(2);
    assertThat(out.isEmpty()).isTrue();
    double upstageLate =
        driver.metrics().entrySet().stream()
            .filter(e -> e.getKey().name().equals("late-step-dropped-total"))
            .filter(e -> "upstage".equals(e.getKey().tags().get("team")))
            .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
            .sum();
    assertThat(upstageLate).isEqualTo(1.0); // the step of 59 s, counted for its team
  }

  @Test
  void aRunWithoutItsStartedEventHasNoProgressOrMfuButEverythingElse() {
    step(10 * S, 1, 100L, 4.0, null, 10.0);
    step(20 * S, 2, 200L, 3.0, null, 10.0);
    RunMinute w = lastPerWindow(out.readValuesToList()).get(0L);
    assertThat(w.getPlannedTokens()).isNull();
    assertThat(w.getProgressPct()).isNull();
    assertThat(w.getMfu()).isNull();
    assertThat(w.getEttr()).isEqualTo(1.0); // first step at 10 s starts the clock; 10 s of 10 s
    assertThat(w.getLossMean()).isEqualTo(3.5);
  }
}
