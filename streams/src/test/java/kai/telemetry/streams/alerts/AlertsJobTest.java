package kai.telemetry.streams.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import kai.telemetry.events.GpuSample;
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
import kai.telemetry.streams.intake.Quarantine;
import kai.telemetry.streams.support.PlainAvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stall after 60 s, silence after 30 s, idle under 10% for 3 minutes, checks every second; a
 * cluster or run unseen for 10 minutes is forgotten.
 */
class AlertsJobTest {
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, TrainingStep> steps;
  private TestInputTopic<String, RunLifecycle> lifecycle;
  private TestInputTopic<String, GpuSample> samples;
  private TestInputTopic<String, TeamFleetMinute> fleet;
  private TestInputTopic<String, RunMinute> runMinutes;
  private TestOutputTopic<String, Alert> alerts;

  @BeforeEach
  void setUp() {
    var stepSerde = new PlainAvroSerde<>(TrainingStep.class);
    var lifeSerde = new PlainAvroSerde<>(RunLifecycle.class);
    var sampleSerde = new PlainAvroSerde<>(GpuSample.class);
    var fleetSerde = new PlainAvroSerde<>(TeamFleetMinute.class);
    var runMinuteSerde = new PlainAvroSerde<>(RunMinute.class);
    var alertSerde = new PlainAvroSerde<>(Alert.class);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "alerts-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            AlertsJob.build(
                topics,
                stepSerde,
                lifeSerde,
                sampleSerde,
                fleetSerde,
                runMinuteSerde,
                alertSerde,
                new AlertsJob.Settings(60_000, 30_000, 10.0, 3, 1_000, 120_000, 600_000, 1.0, 0.1)),
            props,
            Instant.ofEpochMilli(1_000_000));
    steps =
        driver.createInputTopic(
            topics.trainingSteps.name(), Serdes.String().serializer(), stepSerde.serializer());
    lifecycle =
        driver.createInputTopic(
            topics.runLifecycle.name(), Serdes.String().serializer(), lifeSerde.serializer());
    samples =
        driver.createInputTopic(
            topics.gpuSamples.name(), Serdes.String().serializer(), sampleSerde.serializer());
    fleet =
        driver.createInputTopic(
            topics.teamFleetMinute.name(), Serdes.String().serializer(), fleetSerde.serializer());
    runMinutes =
        driver.createInputTopic(
            topics.runMinute.name(), Serdes.String().serializer(), runMinuteSerde.serializer());
    alerts =
        driver.createOutputTopic(
            topics.alerts.name(), Serdes.String().deserializer(), alertSerde.deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  @Test
  void recordsTheIntakeHeldBackRaiseOneEpisodePerTeamAndCauseUntilQuiet() {
    var held =
        driver.createInputTopic(
            topics.quarantine.name(),
            Serdes.String().serializer(),
            Serdes.ByteArray().serializer());
    for (int i = 0; i < 3; i++) { // a burst of the same attempt is one episode
      held.pipeInput(heldBack("upstage", "NOT_ITS_TEAM", "names team 'nc-ai'", i));
    }
    held.pipeInput(heldBack("upstage", "UNREADABLE", "not in the wire format", 3));
    List<Alert> opened = alerts.readValuesToList();
    assertThat(opened)
        .extracting(a -> a.getTeam() + ":" + a.getSubject() + ":" + a.getSeverity())
        .containsExactly("upstage:NOT_ITS_TEAM:CRITICAL", "upstage:UNREADABLE:WARNING");
    assertThat(opened.get(0).getKind()).isEqualTo(AlertKind.QUARANTINE);
    assertThat(opened.get(0).getState()).isEqualTo(AlertState.OPEN);
    assertThat(opened.get(0).getMessage())
        .isEqualTo(
            "held back from the intake of team 'upstage' in kai.quarantine.v1: names team"
                + " 'nc-ai' (kai.team.upstage.gpu-samples.v1/0@0)");

    driver.advanceWallClockTime(Duration.ofSeconds(60));
    held.pipeInput(heldBack("upstage", "UNREADABLE", "again", 4)); // keeps that one open
    driver.advanceWallClockTime(Duration.ofSeconds(61)); // 121 s since the last NOT_ITS_TEAM
    List<Alert> resolved = alerts.readValuesToList();
    assertThat(resolved)
        .extracting(a -> a.getSubject() + ":" + a.getState())
        .containsExactly("NOT_ITS_TEAM:RESOLVED");
    assertThat(resolved.get(0).getAlertId()).isEqualTo(opened.get(0).getAlertId());
  }

  private static TestRecord<String, byte[]> heldBack(
      String team, String cause, String reason, long offset) {
    var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
    headers.add(Quarantine.TEAM, team.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    headers.add(Quarantine.CAUSE, cause.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    headers.add(Quarantine.REASON, reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    headers.add(
        Quarantine.SOURCE,
        ("kai.team.upstage.gpu-samples.v1/0@" + (offset == 4 ? 4 : 0))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return new TestRecord<>(team, new byte[] {1}, headers, (Long) null);
  }

  private void step(long step, Double loss) {
    steps.pipeInput(
        "sk-telecom/ax-7",
        TrainingStep.newBuilder()
            .setTeam("sk-telecom")
            .setRunId("ax-7")
            .setStep(step)
            .setTsMs(1_000 + step)
            .setLoss(loss)
            .build());
  }

  private void gpu(String cluster, String uuid, Integer xid, long ts) {
    samples.pipeInput(
        uuid,
        GpuSample.newBuilder()
            .setTeam("upstage")
            .setCluster(cluster)
            .setNode("n1")
            .setGpuUuid(uuid)
            .setGpuIndex(2)
            .setTsMs(ts)
            .setUtilizationPct(50.0)
            .setXidLast(xid)
            .build());
  }

  private void minute(String team, long start, double util) {
    fleet.pipeInput(
        team,
        TeamFleetMinute.newBuilder()
            .setTeam(team)
            .setWindowStartMs(start)
            .setWindowEndMs(start + 60_000)
            .setGpusReporting(8)
            .setSamples(16)
            .setUtilizationMeanPct(util)
            .setVersion(16)
            .build());
  }

  private void runMinute(long start, long version, long spikes) {
    runMinutes.pipeInput(
        "lg-ai-research/exaone-pt-3",
        RunMinute.newBuilder()
            .setTeam("lg-ai-research")
            .setRunId("exaone-pt-3")
            .setWindowStartMs(start)
            .setWindowEndMs(start + 60_000)
            .setSteps(version)
            .setLastStep(start / 1_000 + version)
            .setLastTsMs(start + version * 1_000)
            .setNanInfCount(0)
            .setSpikeCount(spikes)
            .setLossMax(spikes > 0 ? 9.5 : 2.1)
            .setVersion(version)
            .build());
  }

  @Test
  void lossSpikesOpenOneEpisodeUntilAMinuteWithoutSpikes() {
    runMinute(0, 5, 0); // a calm minute
    runMinute(60_000, 3, 0); // the next one, before its spike
    runMinute(60_000, 6, 1); // the spike arrives
    runMinute(60_000, 9, 2); // another in the same minute: the same episode
    runMinute(0, 7, 0); // a late update of the calm minute decides nothing
    runMinute(120_000, 4, 1); // spikes go on in the next minute: still the same episode
    assertThat(alerts.readValuesToList())
        .extracting(AlertsJobTest::describe)
        .containsExactly("LOSS_SPIKE OPEN lg-ai-research exaone-pt-3");
    runMinute(180_000, 2, 0); // a minute without spikes
    List<Alert> out = alerts.readValuesToList();
    assertThat(out)
        .extracting(AlertsJobTest::describe)
        .containsExactly("LOSS_SPIKE RESOLVED lg-ai-research exaone-pt-3");
    assertThat(out.get(0).getSeverity()).isEqualTo(AlertSeverity.WARNING);
  }

  private static String describe(Alert a) {
    return a.getKind() + " " + a.getState() + " " + a.getTeam() + " " + a.getSubject();
  }

  @Test
  void divergenceIsOneEpisodeFromTheFirstNanToTheNextFiniteLoss() {
    step(1, 2.5);
    step(2, Double.NaN);
    step(3, Double.POSITIVE_INFINITY); // same episode: nothing new
    step(4, 2.4);
    List<KeyValue<String, Alert>> out = alerts.readKeyValuesToList();
    assertThat(out)
        .extracting(kv -> describe(kv.value))
        .containsExactly("DIVERGENCE OPEN sk-telecom ax-7", "DIVERGENCE RESOLVED sk-telecom ax-7");
    assertThat(out.get(0).key).isEqualTo(out.get(1).key).isEqualTo(out.get(0).value.getAlertId());
    assertThat(out.get(0).value.getSeverity()).isEqualTo(AlertSeverity.CRITICAL);
    assertThat(out.get(0).value.getMessage()).isEqualTo("loss is NaN at step 2");
    assertThat(out.get(1).value.getResolvedMs()).isNotNull();
    assertThat(out.get(1).value.getVersion()).isEqualTo(2);
  }

  @Test
  void aRunWithoutStepsForTheStallTimeIsStalledOnWallClockUntilItStepsAgain() {
    step(1, 2.5);
    driver.advanceWallClockTime(Duration.ofSeconds(30));
    assertThat(alerts.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    driver.advanceWallClockTime(Duration.ofSeconds(5)); // still stalled: no second alert
    step(2, 2.4);
    assertThat(alerts.readValuesToList())
        .extracting(AlertsJobTest::describe)
        .containsExactly(
            "STALLED_RUN OPEN sk-telecom ax-7", "STALLED_RUN RESOLVED sk-telecom ax-7");
  }

  @Test
  void aFinishedRunDoesNotStall() {
    step(1, 2.5);
    lifecycle.pipeInput(
        "sk-telecom/ax-7",
        RunLifecycle.newBuilder()
            .setTeam("sk-telecom")
            .setRunId("ax-7")
            .setTsMs(5_000)
            .setKind(RunEventKind.FINISHED)
            .build());
    driver.advanceWallClockTime(Duration.ofMinutes(5));
    assertThat(alerts.isEmpty()).isTrue();
  }

  @Test
  void gpuFaultFollowsTheLastXidCode() {
    gpu("up-c1", "GPU-A", 0, 1_000);
    gpu("up-c1", "GPU-A", 79, 2_000);
    gpu("up-c1", "GPU-A", 79, 3_000);
    gpu("up-c1", "GPU-A", 0, 4_000);
    gpu("up-c1", "GPU-A", 31, 5_000);
    List<Alert> out = alerts.readValuesToList();
    assertThat(out)
        .extracting(AlertsJobTest::describe)
        .containsExactly(
            "GPU_FAULT OPEN upstage GPU-A",
            "GPU_FAULT RESOLVED upstage GPU-A",
            "GPU_FAULT OPEN upstage GPU-A");
    assertThat(out.get(0).getMessage()).isEqualTo("XID 79 on GPU 2 of n1 (up-c1)");
    assertThat(out.get(0).getSeverity()).isEqualTo(AlertSeverity.CRITICAL);
    assertThat(out.get(2).getSeverity()).isEqualTo(AlertSeverity.WARNING);
    assertThat(out.get(2).getAlertId()).isNotEqualTo(out.get(0).getAlertId()); // a new episode
  }

  /** A cluster silent past the eviction time is forgotten, its silence alert resolved as such. */
  @Test
  void aClusterSilentPastTheEvictionTimeIsForgottenAndItsAlertResolved() {
    gpu("up-c1", "GPU-A", null, 1_000);
    driver.advanceWallClockTime(Duration.ofSeconds(31));
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    List<Alert> out = alerts.readValuesToList();
    assertThat(out)
        .extracting(AlertsJobTest::describe)
        .containsExactly(
            "TELEMETRY_SILENCE OPEN upstage up-c1", "TELEMETRY_SILENCE RESOLVED upstage up-c1");
    assertThat(out.get(1).getMessage()).isEqualTo("cluster no longer watched: silent for 0 h");
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    assertThat(alerts.isEmpty()).as("forgotten: no new alert").isTrue();
    assertThat(
            driver
                .<String, Long>getKeyValueStore(FleetAlertProcessors.Silence.SEEN_STORE)
                .approximateNumEntries())
        .isZero();
  }

  /** A run without steps past the eviction time is no longer watched; its stall is resolved. */
  @Test
  void aRunAbandonedPastTheEvictionTimeIsNoLongerWatched() {
    step(1, 2.5);
    driver.advanceWallClockTime(Duration.ofSeconds(61));
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    assertThat(alerts.readValuesToList())
        .extracting(AlertsJobTest::describe)
        .containsExactly(
            "STALLED_RUN OPEN sk-telecom ax-7", "STALLED_RUN RESOLVED sk-telecom ax-7");
    driver.advanceWallClockTime(Duration.ofMinutes(10));
    assertThat(alerts.isEmpty()).isTrue();
  }

  @Test
  void aSilentClusterAlertsOnWallClockAndResolvesOnItsNextSample() {
    gpu("up-c1", "GPU-A", null, 1_000);
    gpu("up-c2", "GPU-B", null, 1_000);
    driver.advanceWallClockTime(Duration.ofSeconds(20));
    gpu("up-c2", "GPU-B", null, 21_000); // c2 keeps talking
    driver.advanceWallClockTime(Duration.ofSeconds(15));
    assertThat(alerts.readValuesToList())
        .extracting(AlertsJobTest::describe)
        .containsExactly("TELEMETRY_SILENCE OPEN upstage up-c1");
    gpu("up-c1", "GPU-A", null, 40_000);
    assertThat(alerts.readValuesToList())
        .extracting(AlertsJobTest::describe)
        .containsExactly("TELEMETRY_SILENCE RESOLVED upstage up-c1");
  }

  @Test
  void idleFleetAfterThreeConsecutiveIdleMinutes() {
    minute("nc-ai", 0, 5);
    minute("nc-ai", 60_000, 5);
    assertThat(alerts.isEmpty()).isTrue();
    minute("nc-ai", 120_000, 9.9);
    minute("nc-ai", 120_000, 8.0); // an update of the same minute: still one episode
    minute("nc-ai", 60_000, 50); // a late update of an older minute does not resolve it
    minute("nc-ai", 180_000, 50);
    List<Alert> out = alerts.readValuesToList();
    assertThat(out)
        .extracting(AlertsJobTest::describe)
        .containsExactly("IDLE_FLEET OPEN nc-ai nc-ai", "IDLE_FLEET RESOLVED nc-ai nc-ai");
    assertThat(out.get(0).getOpenedMs()).isEqualTo(180_000);
    assertThat(out.get(0).getState()).isEqualTo(AlertState.OPEN);
    assertThat(out.get(1).getKind()).isEqualTo(AlertKind.IDLE_FLEET);
  }

  /**
   * Runs judged against the GPUs seen working for them (samples carrying their run id), one minute
   * at a time once stream time is two minutes past it: "fewer" declared 8 GPUs and shows 4; "idle"
   * logs steps on 4 GPUs at 2% utilization; "honest" shows its 4 (one without a utilization
   * reading, which is not taken for idle); "unlabelled" has no sample naming it and is not judged.
   */
  @Test
  void runsAreJudgedAgainstTheGpusSeenWorkingForThem() {
    long b = 60_000_000; // 1970-01-01T16:40:00Z, a whole minute
    declare("fewer", 8, b);
    declare("idle", 4, b);
    declare("honest", 4, b);
    declare("unlabelled", 4, b);
    for (int g = 0; g < 4; g++) {
      runGpu("fewer", "GPU-f" + g, 90.0, b + 1_000);
      runGpu("idle", "GPU-i" + g, 2.0, b + 1_000);
      runGpu("honest", "GPU-h" + g, g == 3 ? null : 90.0, b + 1_000);
    }
    for (int i = 1; i <= 3; i++) {
      for (String run : List.of("fewer", "idle", "honest", "unlabelled")) {
        runStep(run, i, b + i * 10_000);
      }
    }
    assertThat(alerts.isEmpty()).as("nothing judged before the minute settles").isTrue();
    runStep("honest", 4, b + 130_000); // stream time two minutes past the minute's end
    List<Alert> out = alerts.readValuesToList();
    assertThat(out)
        .extracting(
            a -> a.getKind() + " " + a.getState() + " " + a.getSubject() + ": " + a.getMessage())
        .containsExactlyInAnyOrder(
            "GPU_COUNT_MISMATCH OPEN fewer: declared 8 GPUs, 4 seen working for the run in the"
                + " minute from 1970-01-01T16:40:00Z (tolerance 10%)",
            "TOKENS_ON_IDLE_GPUS OPEN idle: 3 steps logged in the minute from"
                + " 1970-01-01T16:40:00Z while the run's 4 GPUs seen were idle (all under 10.0%"
                + " utilization)");
    assertThat(out)
        .filteredOn(a -> a.getKind() == AlertKind.TOKENS_ON_IDLE_GPUS)
        .extracting(Alert::getSeverity)
        .containsExactly(AlertSeverity.CRITICAL);

    // Past the eviction time (10 minutes here) without a step, the other runs are forgotten.
    runStep("honest", 5, b + 800_000);
    var declared = driver.<String, Long>getKeyValueStore(RunHardwareProcessor.DECLARED_STORE);
    assertThat(declared.get("upstage/honest")).isEqualTo(4L);
    assertThat(declared.get("upstage/fewer")).isNull();
    assertThat(
            driver
                .<String, Long>getKeyValueStore(RunHardwareProcessor.LAST_STORE)
                .get("upstage/idle"))
        .isNull();
  }

  private void declare(String run, int gpus, long ts) {
    lifecycle.pipeInput(
        "upstage/" + run,
        RunLifecycle.newBuilder()
            .setTeam("upstage")
            .setRunId(run)
            .setTsMs(ts)
            .setKind(RunEventKind.STARTED)
            .setSpec(
                kai.telemetry.events.ModelSpec.newBuilder()
                    .setModelName("m")
                    .setParameters(1_000_000)
                    .setLayers(2)
                    .setHeads(2)
                    .setHeadDim(8)
                    .setSeqLen(16)
                    .setPlannedTokens(1_000_000)
                    .setGpuCount(gpus)
                    .setGpuType("H100")
                    .build())
            .build(),
        ts);
  }

  private void runGpu(String run, String uuid, Double util, long ts) {
    samples.pipeInput(
        uuid,
        GpuSample.newBuilder()
            .setTeam("upstage")
            .setCluster("up-c1")
            .setNode("n1")
            .setGpuUuid(uuid)
            .setGpuIndex(0)
            .setTsMs(ts)
            .setUtilizationPct(util)
            .setRunId(run)
            .build(),
        ts);
  }

  private void runStep(String run, long step, long ts) {
    steps.pipeInput(
        "upstage/" + run,
        TrainingStep.newBuilder()
            .setTeam("upstage")
            .setRunId(run)
            .setStep(step)
            .setTsMs(ts)
            .setLoss(2.0)
            .build(),
        ts);
  }
}
