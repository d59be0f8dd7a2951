package kai.telemetry.streams.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import kai.telemetry.kpis.AlertState;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.PlainAvroSerde;
import kai.telemetry.streams.training.StepEnricher;
import kai.telemetry.streams.training.TrainingKpiJob;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claims checked against the declared hardware, through both jobs as they run: the training KPI job
 * turns steps into run minutes (MFU from the declared spec), the alerts job judges them. Three runs
 * on 8 declared H100s (989 TFLOP/s each) with a model of 6 x 7e9 + 12 x 32 x 32 x 128 x 4096 =
 * 48,442,450,944 FLOPs per token: an honest one at 65,331 tokens/s (MFU 0.400), one claiming
 * 200,000 tokens/s (MFU 200,000 x 48,442,450,944 / 7.912e15 = 1.2245: more than the GPUs can
 * compute), and one declaring a GPU model the reference does not know.
 */
class ComputePlausibilityTest {
  private static final double FPT = 48_442_450_944.0;
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver training;
  private TopologyTestDriver alertsJob;
  private TestInputTopic<String, TrainingStep> steps;
  private TestInputTopic<String, RunLifecycle> lifecycle;
  private TestInputTopic<String, RunLifecycle> alertsLifecycle;
  private TestInputTopic<String, RunMinute> runMinutes;
  private final PlainAvroSerde<RunMinute> minuteSerde = new PlainAvroSerde<>(RunMinute.class);
  private final PlainAvroSerde<Alert> alertSerde = new PlainAvroSerde<>(Alert.class);

  @BeforeEach
  void setUp() {
    var stepSerde = new PlainAvroSerde<>(TrainingStep.class);
    var lifeSerde = new PlainAvroSerde<>(RunLifecycle.class);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "plausibility-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    training =
        new TopologyTestDriver(
            TrainingKpiJob.build(
                topics,
                stepSerde,
                lifeSerde,
                minuteSerde,
                Duration.ofMinutes(1),
                Duration.ofSeconds(10),
                new StepEnricher.Settings(0.5, 0.2, 0.5, 2, 3)),
            props);
    alertsJob =
        new TopologyTestDriver(
            AlertsJob.build(
                topics,
                stepSerde,
                lifeSerde,
                new PlainAvroSerde<>(GpuSample.class),
                new PlainAvroSerde<>(TeamFleetMinute.class),
                minuteSerde,
                alertSerde,
                new AlertsJob.Settings(
                    3_600_000, 3_600_000, 10.0, 3, 60_000, 3_600_000, 86_400_000, 1.0, 0.1)),
            props,
            Instant.ofEpochMilli(T0));
    steps =
        training.createInputTopic(
            topics.trainingSteps.name(), Serdes.String().serializer(), stepSerde.serializer());
    lifecycle =
        training.createInputTopic(
            topics.runLifecycle.name(), Serdes.String().serializer(), lifeSerde.serializer());
    alertsLifecycle =
        alertsJob.createInputTopic(
            topics.runLifecycle.name(), Serdes.String().serializer(), lifeSerde.serializer());
    runMinutes =
        alertsJob.createInputTopic(
            topics.runMinute.name(), Serdes.String().serializer(), minuteSerde.serializer());
  }

  @AfterEach
  void tearDown() {
    training.close();
    alertsJob.close();
  }

  @Test
  void aRunClaimingMoreThanItsGpusCanComputeRaisesAnAlertWithItsNumbersAndHonestRunsNone() {
    start("honest", "H100");
    start("overclaimed", "H100");
    start("unknown-gpu", "H20");
    for (int i = 1; i <= 5; i++) {
      step("honest", i, 65_331.0);
      step("overclaimed", i, 200_000.0);
      step("unknown-gpu", i, 65_331.0);
    }
    List<RunMinute> minutes =
        training
            .createOutputTopic(
                topics.runMinute.name(), Serdes.String().deserializer(), minuteSerde.deserializer())
            .readValuesToList();
    RunMinute over = last(minutes, "overclaimed");
    assertThat(over.getMfu())
        .isCloseTo(200_000 * FPT / (8 * 989e12), org.assertj.core.data.Offset.offset(1e-12));
    assertThat(last(minutes, "honest").getMfu())
        .isCloseTo(0.4, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(last(minutes, "unknown-gpu").getMfu()).isNull(); // never guessed
    minutes.forEach(m -> runMinutes.pipeInput(m.getTeam() + "/" + m.getRunId(), m));

    List<Alert> raised = alerts();
    assertThat(raised)
        .extracting(a -> a.getKind() + " " + a.getState() + " " + a.getSubject())
        .containsExactlyInAnyOrder(
            "UNKNOWN_GPU_MODEL OPEN unknown-gpu", "IMPLAUSIBLE_COMPUTE OPEN overclaimed");
    Alert implausible =
        raised.stream().filter(a -> a.getKind() == AlertKind.IMPLAUSIBLE_COMPUTE).findFirst().get();
    assertThat(implausible.getSeverity()).isEqualTo(AlertSeverity.CRITICAL);
    assertThat(implausible.getTeam()).isEqualTo("upstage");
    assertThat(implausible.getMessage())
        .isEqualTo(
            "implied MFU 1.225 above the ceiling 1.00 at step 1: 200000 tokens/s claimed, at most"
                + " 163328 tokens/s on the declared GPUs at that ceiling");
    Alert unknown =
        raised.stream().filter(a -> a.getKind() == AlertKind.UNKNOWN_GPU_MODEL).findFirst().get();
    assertThat(unknown.getMessage())
        .startsWith("declared GPU model 'H20' is not in the peak-FLOPs reference [A100, A800,")
        .endsWith(": no MFU and no compute-plausibility check for this run");

    // The over-claiming run comes back to what its GPUs can do: the episode resolves.
    for (int i = 6; i <= 8; i++) {
      step("overclaimed", i, 60_000.0);
    }
    training
        .createOutputTopic(
            topics.runMinute.name(), Serdes.String().deserializer(), minuteSerde.deserializer())
        .readValuesToList()
        .forEach(m -> runMinutes.pipeInput(m.getTeam() + "/" + m.getRunId(), m));
    List<Alert> later = alerts();
    assertThat(later)
        .extracting(a -> a.getKind() + " " + a.getState() + " " + a.getSubject())
        .containsExactly("IMPLAUSIBLE_COMPUTE RESOLVED overclaimed");
    assertThat(later.get(0).getAlertId()).isEqualTo(implausible.getAlertId());
    assertThat(later.get(0).getState()).isEqualTo(AlertState.RESOLVED);
  }

  private List<Alert> alerts() {
    return alertsJob
        .createOutputTopic(
            topics.alerts.name(), Serdes.String().deserializer(), alertSerde.deserializer())
        .readValuesToList();
  }

  private static RunMinute last(List<RunMinute> minutes, String run) {
    return minutes.stream().filter(m -> m.getRunId().equals(run)).reduce((a, b) -> b).get();
  }

  private void start(String run, String gpuType) {
    RunLifecycle started =
        RunLifecycle.newBuilder()
            .setTeam("upstage")
            .setRunId(run)
            .setTsMs(T0)
            .setKind(RunEventKind.STARTED)
            .setSpec(
                ModelSpec.newBuilder()
                    .setModelName("solar-7b")
                    .setParameters(7_000_000_000L)
                    .setLayers(32)
                    .setHeads(32)
                    .setHeadDim(128)
                    .setSeqLen(4096)
                    .setPlannedTokens(1_000_000_000_000L)
                    .setGpuCount(8)
                    .setGpuType(gpuType)
                    .build())
            .build();
    lifecycle.pipeInput("upstage/" + run, started, T0);
    alertsLifecycle.pipeInput("upstage/" + run, started, T0);
  }

  private void step(String run, long step, double tokensPerSec) {
    long ts = T0 + (step <= 5 ? 0 : 60_000) + step * 1_000; // steps 6.. in the next minute
    steps.pipeInput(
        "upstage/" + run,
        TrainingStep.newBuilder()
            .setTeam("upstage")
            .setRunId(run)
            .setStep(step)
            .setTsMs(ts)
            .setTokens(step * 4_194_304L)
            .setLoss(3.0)
            .setTokensPerSec(tokensPerSec)
            .build(),
        ts);
  }
}
