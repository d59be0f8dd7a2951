package kai.telemetry.streams.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.Evaluator;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RejectedRecord;
import kai.telemetry.events.RunEventKind;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.TeamTopics;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.SchemaRegistryException;
import kai.telemetry.streams.support.PlainAvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IntakeJobTest {
  private static final long WALL = 1_768_467_600_000L; // the intake's clock
  private final Topics topics = Topics.withPrefix("t.");
  private final TeamTopics upstage = topics.team("upstage");
  private final TeamTopics ncAi = topics.team("nc-ai");
  private final PlainAvroSerde<GpuSample> samples = new PlainAvroSerde<>(GpuSample.class);
  private final PlainAvroSerde<TrainingStep> steps = new PlainAvroSerde<>(TrainingStep.class);
  private final PlainAvroSerde<RunLifecycle> lifecycle = new PlainAvroSerde<>(RunLifecycle.class);
  private final PlainAvroSerde<BenchmarkResult> results =
      new PlainAvroSerde<>(BenchmarkResult.class);
  private final PlainAvroSerde<RejectedRecord> rejects = new PlainAvroSerde<>(RejectedRecord.class);
  private final Map<String, Deserializer<? extends SpecificRecord>> decoders = new HashMap<>();
  private TopologyTestDriver driver;
  private TestOutputTopic<String, byte[]> quarantine;

  @BeforeEach
  void setUp() {
    decoders.put(topics.gpuSamples.name(), samples.deserializer());
    decoders.put(topics.trainingSteps.name(), steps.deserializer());
    decoders.put(topics.runLifecycle.name(), lifecycle.deserializer());
    decoders.put(topics.benchmarkResults.name(), results.deserializer());
    decoders.put(topics.collectorRejects.name(), rejects.deserializer());
    start();
  }

  private void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "intake-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            IntakeJob.build(topics, decoders, new PlainAvroSerde<>(TeamInfo.class), 60_000, 1.5, 2),
            props,
            java.time.Instant.ofEpochMilli(WALL));
    quarantine =
        driver.createOutputTopic(
            topics.quarantine.name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private TestInputTopic<String, byte[]> in(String topic) {
    return driver.createInputTopic(
        topic, Serdes.String().serializer(), Serdes.ByteArray().serializer());
  }

  private TestOutputTopic<String, byte[]> out(String topic) {
    return driver.createOutputTopic(
        topic, Serdes.String().deserializer(), Serdes.ByteArray().deserializer());
  }

  private static GpuSample sample(String team, String gpu) {
    return GpuSample.newBuilder()
        .setTeam(team)
        .setCluster("c1")
        .setNode("n1")
        .setGpuUuid(gpu)
        .setGpuIndex(0)
        .setTsMs(WALL - 60_000)
        .setUtilizationPct(50.0)
        .build();
  }

  private static BenchmarkResult result(String team, Evaluator evaluator) {
    return BenchmarkResult.newBuilder()
        .setTeam(team)
        .setModel("m")
        .setBenchmark("kmmlu")
        .setMetric("acc,none")
        .setScore(0.5)
        .setEvaluator(evaluator)
        .setTsMs(WALL - 60_000)
        .build();
  }

  private static String header(Headers headers, String name) {
    var h = headers.lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @Test
  void aTeamsOwnRecordsGoOnUnchangedUnderTheirContractKeys() {
    byte[] s = samples.serializer().serialize("", sample("upstage", "GPU-1"));
    byte[] st =
        steps
            .serializer()
            .serialize(
                "",
                TrainingStep.newBuilder()
                    .setTeam("upstage")
                    .setRunId("run-1")
                    .setStep(10)
                    .setTsMs(WALL - 60_000)
                    .build());
    byte[] l =
        lifecycle
            .serializer()
            .serialize(
                "",
                RunLifecycle.newBuilder()
                    .setTeam("upstage")
                    .setRunId("run-1")
                    .setKind(RunEventKind.STARTED)
                    .setTsMs(WALL - 60_000)
                    .build());
    byte[] r = results.serializer().serialize("", result("upstage", Evaluator.SELF_REPORTED));
    byte[] rej =
        rejects
            .serializer()
            .serialize(
                "",
                RejectedRecord.newBuilder()
                    .setTeam("upstage")
                    .setCollector("dcgm")
                    .setSource("x")
                    .setReason("y")
                    .setRaw("z")
                    .setTsMs(WALL - 60_000)
                    .build());
    // Keys a team chose do not steer where a record lands: the contract's key replaces them.
    var spoofed = new org.apache.kafka.common.header.internals.RecordHeaders();
    spoofed.add(Quarantine.CAUSE, "NONE".getBytes(StandardCharsets.UTF_8));
    in(upstage.gpuSamples.name())
        .pipeInput(new TestRecord<String, byte[]>("nc-ai/anything", s, spoofed, 1_000L));
    in(upstage.trainingSteps.name()).pipeInput("whatever", st);
    in(upstage.runLifecycle.name()).pipeInput("whatever", l);
    in(upstage.benchmarkResults.name()).pipeInput("whatever", r);
    in(upstage.collectorRejects.name()).pipeInput("whatever", rej);

    var gpu = out(topics.gpuSamples.name()).readRecord();
    assertThat(gpu.key()).isEqualTo("GPU-1");
    assertThat(gpu.value()).isEqualTo(s);
    assertThat(gpu.timestamp()).isEqualTo(1_000L);
    assertThat(gpu.headers().toArray()).as("the sender's headers stay behind").isEmpty();
    var step = out(topics.trainingSteps.name()).readRecord();
    assertThat(step.key()).isEqualTo("upstage/run-1");
    assertThat(step.value()).isEqualTo(st);
    assertThat(out(topics.runLifecycle.name()).readRecord().key()).isEqualTo("upstage/run-1");
    var result = out(topics.benchmarkResults.name()).readRecord();
    assertThat(result.key()).isEqualTo("upstage");
    assertThat(result.value()).isEqualTo(r);
    assertThat(out(topics.collectorRejects.name()).readRecord().value()).isEqualTo(rej);
    assertThat(quarantine.isEmpty()).isTrue();
  }

  @Test
  void aRecordNamingAnotherTeamIsQuarantinedWithTheReasonAndGoesNowhereElse() {
    byte[] posing = samples.serializer().serialize("", sample("nc-ai", "GPU-9"));
    in(upstage.gpuSamples.name()).pipeInput("GPU-9", posing);
    // The same record on nc-ai's own intake is nc-ai's and passes.
    in(ncAi.gpuSamples.name()).pipeInput("GPU-9", posing);

    var held = quarantine.readRecord();
    assertThat(held.key()).isEqualTo("upstage");
    assertThat(held.value()).isEqualTo(posing);
    assertThat(header(held.headers(), Quarantine.CAUSE)).isEqualTo("NOT_ITS_TEAM");
    assertThat(header(held.headers(), Quarantine.TEAM)).isEqualTo("upstage");
    assertThat(header(held.headers(), Quarantine.REASON))
        .isEqualTo(
            "names team 'nc-ai' but arrived on the intake of team 'upstage': a team writes only"
                + " its own data");
    assertThat(header(held.headers(), Quarantine.SOURCE))
        .isEqualTo(upstage.gpuSamples.name() + "/0@0");
    assertThat(header(held.headers(), Quarantine.ORIGINAL_KEY)).isEqualTo("GPU-9");
    assertThat(quarantine.isEmpty()).isTrue();
    var passed = out(topics.gpuSamples.name()).readRecordsToList();
    assertThat(passed).hasSize(1);
    assertThat(passed.get(0).value()).isEqualTo(posing);
  }

  @Test
  void aTeamCannotPublishAnOfficialResult() {
    in(upstage.benchmarkResults.name())
        .pipeInput(
            "upstage", results.serializer().serialize("", result("upstage", Evaluator.OFFICIAL)));
    var held = quarantine.readRecord();
    assertThat(header(held.headers(), Quarantine.CAUSE)).isEqualTo("OFFICIAL_CLAIM");
    assertThat(header(held.headers(), Quarantine.REASON))
        .contains("only the program office publishes official results");
    assertThat(out(topics.benchmarkResults.name()).isEmpty()).isTrue();
  }

  @Test
  void unreadableBadIdsAndEmptyRecordsAreQuarantinedAndTheRestGoesOn() {
    var gpus = in(upstage.gpuSamples.name());
    gpus.pipeInput("x", new byte[] {'{', '}'});
    gpus.pipeInput("x", samples.serializer().serialize("", sample("upstage", "GPU'); DROP")));
    GpuSample nan = sample("upstage", "GPU-3");
    nan.setUtilizationPct(Double.NaN); // written without a collector, which would refuse it
    gpus.pipeInput("x", samples.serializer().serialize("", nan));
    gpus.pipeInput("x", (byte[]) null);
    byte[] good = samples.serializer().serialize("", sample("upstage", "GPU-2"));
    gpus.pipeInput("GPU-2", good);

    assertThat(quarantine.readRecordsToList())
        .extracting(r -> header(r.headers(), Quarantine.CAUSE))
        .containsExactly("UNREADABLE", "INVALID", "INVALID", "NO_VALUE");
    assertThat(out(topics.gpuSamples.name()).readValuesToList()).containsExactly(good);
  }

  /**
   * A team writing its intake without run-event: a spec with a negative GPU count (which would
   * poison MFU and the GPU-count check) and a declaration of 100 components are held back as
   * INVALID with their reasons; a sound start passes.
   */
  @Test
  void aHostileRunDeclarationIsQuarantinedWithItsReason() {
    var life = in(upstage.runLifecycle.name());
    RunLifecycle bad = started("run-bad");
    bad.getSpec().setGpuCount(-8);
    RunLifecycle huge = started("run-huge");
    java.util.List<kai.telemetry.events.ThirdPartyComponent> many = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(
          kai.telemetry.events.ThirdPartyComponent.newBuilder()
              .setName("c" + i)
              .setSource("s")
              .setLicense("l")
              .setHash("h")
              .build());
    }
    huge.setProvenance(
        kai.telemetry.events.RunProvenance.newBuilder()
            .setInit("scratch")
            .setComponents(many)
            .build());
    RunLifecycle good = started("run-good");
    life.pipeInput("upstage/run-bad", lifecycle.serializer().serialize("", bad));
    life.pipeInput("upstage/run-huge", lifecycle.serializer().serialize("", huge));
    byte[] ok = lifecycle.serializer().serialize("", good);
    life.pipeInput("upstage/run-good", ok);
    var held = quarantine.readRecordsToList();
    assertThat(held)
        .extracting(r -> header(r.headers(), Quarantine.CAUSE))
        .containsExactly("INVALID", "INVALID");
    assertThat(header(held.get(0).headers(), Quarantine.REASON))
        .contains("spec.gpu_count -8 is not positive");
    assertThat(header(held.get(1).headers(), Quarantine.REASON))
        .contains("100 third-party components is more than 64");
    assertThat(out(topics.runLifecycle.name()).readValuesToList()).containsExactly(ok);
  }

  private static RunLifecycle started(String run) {
    return RunLifecycle.newBuilder()
        .setTeam("upstage")
        .setRunId(run)
        .setKind(RunEventKind.STARTED)
        .setTsMs(WALL - 60_000)
        .setSpec(
            kai.telemetry.events.ModelSpec.newBuilder()
                .setModelName("solar")
                .setParameters(1_000_000)
                .setLayers(2)
                .setHeads(2)
                .setHeadDim(8)
                .setSeqLen(16)
                .setPlannedTokens(1_000_000)
                .setGpuCount(8)
                .setGpuType("H100")
                .build())
        .build();
  }

  @Test
  void aRegistryThatCannotBeReachedStopsTheJobInsteadOfQuarantiningGoodData() {
    driver.close();
    decoders.put(
        topics.gpuSamples.name(),
        (topic, bytes) -> {
          throw new SchemaRegistryException("registry unreachable", 0);
        });
    start();
    assertThatThrownBy(
            () ->
                in(upstage.gpuSamples.name())
                    .pipeInput(
                        "GPU-1", samples.serializer().serialize("", sample("upstage", "GPU-1"))))
        .isInstanceOf(StreamsException.class)
        .hasRootCauseMessage("registry unreachable");
    assertThat(quarantine.isEmpty()).isTrue();
    // A schema id the registry never gave out is the record's fault: held back.
    driver.close();
    decoders.put(
        topics.gpuSamples.name(),
        (topic, bytes) -> {
          throw new SchemaRegistryException("no schema 999", 404);
        });
    start();
    in(upstage.gpuSamples.name()).pipeInput("GPU-1", new byte[] {0, 0, 0, 3, (byte) 231, 2});
    assertThat(header(quarantine.readRecord().headers(), Quarantine.CAUSE)).isEqualTo("UNREADABLE");
  }

  @Test
  void anEventTimeTooFarAheadOfTheClockIsHeldBack() {
    GpuSample ahead = sample("upstage", "GPU-1");
    ahead.setTsMs(WALL + 10 * 60_000); // a node whose clock runs ten minutes fast
    GpuSample slightly = sample("upstage", "GPU-2");
    slightly.setTsMs(WALL + 30_000); // within the allowed minute
    var in = in(upstage.gpuSamples.name());
    in.pipeInput("GPU-1", samples.serializer().serialize("", ahead));
    in.pipeInput("GPU-2", samples.serializer().serialize("", slightly));
    var held = quarantine.readRecord();
    assertThat(header(held.headers(), Quarantine.CAUSE)).isEqualTo("FUTURE_TIME");
    assertThat(header(held.headers(), Quarantine.REASON))
        .isEqualTo(
            "event time 2026-01-15T09:10:00Z is more than 60 s ahead of the intake's clock: a"
                + " wrong clock on the sender");
    assertThat(out(topics.gpuSamples.name()).readKeyValuesToList())
        .extracting(kv -> kv.key)
        .containsExactly("GPU-2");
  }

  @Test
  void onlyIntakeTopicsAreRead() {
    // The positions stay with their team; attributed topics are the job's output, not input.
    assertThat(topics.intakePattern().matcher(upstage.collectorPositions.name()).matches())
        .isFalse();
    assertThat(
            List.of(topics.gpuSamples, topics.trainingSteps, topics.benchmarkResults).stream()
                .noneMatch(t -> topics.intakePattern().matcher(t.name()).matches()))
        .isTrue();
  }

  private void allocation(String team, int gpus) {
    driver
        .createInputTopic(
            topics.teams.name(),
            Serdes.String().serializer(),
            new PlainAvroSerde<>(TeamInfo.class).serializer())
        .pipeInput(
            team,
            TeamInfo.newBuilder()
                .setId(team)
                .setNameKo(team)
                .setNameEn(team)
                .setGpuAllocation(gpus)
                .setStatus(kai.telemetry.reference.TeamStatus.ACTIVE)
                .setUpdatedMs(WALL)
                .build());
  }

  /**
   * Upstage is allocated 4 GPUs, so the intake takes at most 4 x 1.5 = 6 distinct GPUs from it per
   * minute: of ten made-up ids in one minute the first six pass, the other four are quarantined,
   * and a GPU already taken keeps passing. NC AI's GPUs are not affected, and a later minute starts
   * afresh.
   */
  @Test
  void moreDistinctGpusInAMinuteThanTheAllocationAllowsAreQuarantined() {
    allocation("upstage", 4);
    allocation("nc-ai", 8);
    TestOutputTopic<String, byte[]> passed = out(topics.gpuSamples.name());
    long t = WALL - 50_000;
    for (int i = 1; i <= 10; i++) {
      in(upstage.gpuSamples.name())
          .pipeInput(
              "GPU-" + i, samples.serializer().serialize("", sample("upstage", "GPU-" + i)), t + i);
    }
    in(upstage.gpuSamples.name())
        .pipeInput("GPU-1", samples.serializer().serialize("", sample("upstage", "GPU-1")), t + 20);
    for (int i = 1; i <= 5; i++) {
      in(ncAi.gpuSamples.name())
          .pipeInput(
              "GPU-" + i, samples.serializer().serialize("", sample("nc-ai", "GPU-" + i)), t + 30);
    }
    assertThat(passed.readKeyValuesToList().stream().map(kv -> kv.key).toList())
        .containsExactly(
            "GPU-1", "GPU-2", "GPU-3", "GPU-4", "GPU-5", "GPU-6", "GPU-1", "GPU-1", "GPU-2",
            "GPU-3", "GPU-4", "GPU-5");
    List<org.apache.kafka.streams.test.TestRecord<String, byte[]>> held =
        quarantine.readRecordsToList();
    assertThat(held).hasSize(4);
    assertThat(held)
        .allSatisfy(
            r -> assertThat(header(r.headers(), Quarantine.CAUSE)).isEqualTo("TOO_MANY_GPUS"));
    assertThat(header(held.get(0).headers(), Quarantine.REASON))
        .isEqualTo(
            "GPU 'GPU-7' is beyond the 6 distinct GPUs per minute the intake takes from team"
                + " 'upstage' (its allocation x 1.5)");

    // Two minutes on, a new GPU is taken again.
    in(upstage.gpuSamples.name())
        .pipeInput(
            "GPU-11", samples.serializer().serialize("", sample("upstage", "GPU-11")), t + 130_000);
    assertThat(passed.readKeyValuesToList().stream().map(kv -> kv.key).toList())
        .containsExactly("GPU-11");
    assertThat(quarantine.isEmpty()).isTrue();
  }
}
