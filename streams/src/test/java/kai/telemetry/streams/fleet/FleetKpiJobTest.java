package kai.telemetry.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.reference.TeamStatus;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.PlainAvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fleet KPIs worked out by hand; 1-minute windows, 10 s grace. */
class FleetKpiJobTest {
  private static final long MIN = 60_000;
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, GpuSample> samples;
  private TestOutputTopic<String, TeamFleetMinute> kpis;
  private TestOutputTopic<String, TeamFleetMinute> clusterKpis;

  @BeforeEach
  void setUp() {
    var sampleSerde = new PlainAvroSerde<>(GpuSample.class);
    var inputSerde = fleetInput();
    var teamSerde = new PlainAvroSerde<>(TeamInfo.class);
    var kpiSerde = new PlainAvroSerde<>(TeamFleetMinute.class);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fleet-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    driver =
        new TopologyTestDriver(
            FleetKpiJob.build(
                topics,
                inputSerde,
                teamSerde,
                kpiSerde,
                Duration.ofMinutes(1),
                Duration.ofSeconds(10)),
            props);
    driver
        .createInputTopic(topics.teams.name(), Serdes.String().serializer(), teamSerde.serializer())
        .pipeInput(
            "upstage",
            TeamInfo.newBuilder()
                .setId("upstage")
                .setNameKo("업스테이지")
                .setNameEn("Upstage")
                .setGpuAllocation(4)
                .setStatus(TeamStatus.ACTIVE)
                .setUpdatedMs(0)
                .build());
    samples =
        driver.createInputTopic(
            topics.gpuSamples.name(), Serdes.String().serializer(), sampleSerde.serializer());
    kpis =
        driver.createOutputTopic(
            topics.teamFleetMinute.name(), Serdes.String().deserializer(), kpiSerde.deserializer());
    clusterKpis =
        driver.createOutputTopic(
            topics.clusterFleetMinute.name(),
            Serdes.String().deserializer(),
            kpiSerde.deserializer());
  }

  /** Lets the emit interval pass: stage one sends the shares that changed. */
  private void emit() {
    driver.advanceWallClockTime(FleetKpiJob.EMIT_INTERVAL);
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  /** A sample without utilization ({@code util} null) or with it. */
  private void pipeMaybe(
      String team,
      String gpu,
      long ts,
      Double util,
      Double power,
      Long energy,
      Integer xid,
      Double sm,
      Double tensor) {
    pipe(team, team + "-c1", gpu, ts, util, power, energy, xid, sm, tensor);
  }

  private void pipe(
      String team,
      String gpu,
      long ts,
      double util,
      Double power,
      Long energy,
      Integer xid,
      Double sm,
      Double tensor) {
    pipe(team, team + "-c1", gpu, ts, util, power, energy, xid, sm, tensor);
  }

  private void pipe(
      String team,
      String cluster,
      String gpu,
      long ts,
      Double util,
      Double power,
      Long energy,
      Integer xid,
      Double sm,
      Double tensor) {
    GpuSample s =
        GpuSample.newBuilder()
            .setTeam(team)
            .setCluster(cluster)
            .setNode("n1")
            .setGpuUuid(gpu)
            .setGpuIndex(0)
            .setTsMs(ts)
            .setUtilizationPct(util)
            .setPowerW(power)
            .setEnergyMj(energy)
            .setXidLast(xid)
            .setSmActive(sm)
            .setTensorActive(tensor)
            .build();
    // Record time deliberately differs from event time: the job must window by ts_ms.
    samples.pipeInput(gpu, s, ts + 5 * MIN);
  }

  private Map<String, TeamFleetMinute> lastPerTeamWindow() {
    emit();
    Map<String, TeamFleetMinute> m = new LinkedHashMap<>();
    for (KeyValue<String, TeamFleetMinute> kv : kpis.readKeyValuesToList()) {
      assertThat(kv.key).isEqualTo(kv.value.getTeam());
      m.put(kv.value.getTeam() + "@" + kv.value.getWindowStartMs(), kv.value);
    }
    return m;
  }

  @Test
  void everyFleetKpiOfAMinute() {
    pipe("upstage", "GPU-1", 1_000, 80, 500.0, 1_000_000L, 0, 0.8, 0.5);
    pipe("upstage", "GPU-2", 10_000, 3, 100.0, 5_000_000L, 0, null, null);
    pipe(
        "upstage",
        "GPU-1",
        31_000,
        100,
        700.0,
        19_000_000L,
        79,
        0.9,
        0.6); // counter +18,000,000 mJ
    pipe("upstage", "GPU-2", 40_000, 4, 100.0, null, 0, null, null); // no counter: 100 W x 30 s
    pipe("lg-ai-research", "GPU-9", 59_999, 40, null, null, null, null, null);
    pipe("upstage", "GPU-1", 61_000, 50, 400.0, 500L, 0, null, null); // counter reset: 400 W x 30 s

    Map<String, TeamFleetMinute> w = lastPerTeamWindow();
    assertThat(w).containsOnlyKeys("upstage@0", "lg-ai-research@0", "upstage@60000");
    TeamFleetMinute u0 = w.get("upstage@0");
    assertThat(u0.getWindowEndMs()).isEqualTo(MIN);
    assertThat(u0.getGpusReporting()).isEqualTo(2);
    assertThat(u0.getSamples()).isEqualTo(4);
    assertThat(u0.getVersion()).isEqualTo(4);
    assertThat(u0.getUtilizationMeanPct()).isCloseTo((80 + 3 + 100 + 4) / 4.0, within(1e-12));
    assertThat(u0.getUtilizationP95Pct()).isEqualTo(100.0); // rank ceil(0.95 x 4) = 4
    assertThat(u0.getIdleGpus()).isEqualTo(1); // GPU-2 never reached 5%
    assertThat(u0.getPowerKw())
        .isCloseTo((600 + 100) / 1000.0, within(1e-12)); // mean power per GPU, summed
    assertThat(u0.getEnergyKwh()).isCloseTo((18_000_000 + 3_000_000) / 3.6e9, within(1e-15));
    assertThat(u0.getGpuHours()).isCloseTo(2 / 60.0, within(1e-12));
    assertThat(u0.getXidFaults()).isEqualTo(1);
    assertThat(u0.getSmActiveMean()).isCloseTo(0.85, within(1e-12));
    assertThat(u0.getTensorActiveMean()).isCloseTo(0.55, within(1e-12));
    assertThat(u0.getGpuAllocation()).isEqualTo(4);
    assertThat(u0.getCoveragePct()).isEqualTo(50.0);

    TeamFleetMinute u1 = w.get("upstage@60000");
    assertThat(u1.getGpusReporting()).isEqualTo(1);
    assertThat(u1.getUtilizationP95Pct()).isEqualTo(50.0);
    assertThat(u1.getEnergyKwh()).isCloseTo(12_000_000 / 3.6e9, within(1e-15));
    assertThat(u1.getXidFaults()).isZero();
    assertThat(u1.getVersion()).isEqualTo(1);

    TeamFleetMinute lg = w.get("lg-ai-research@0");
    assertThat(lg.getGpuAllocation()).isNull(); // not in the teams reference
    assertThat(lg.getCoveragePct()).isNull();
    assertThat(lg.getPowerKw()).isNull();
    assertThat(lg.getEnergyKwh()).isZero();
  }

  /**
   * A GPU whose exporter reports no utilization (a profile without GPU_UTIL or GR_ENGINE_ACTIVE)
   * counts as reporting, with its power and energy, but never as 0% busy: the mean and p95 are over
   * the samples that have utilization, and a minute with none has neither (null), nor an idle GPU.
   */
  @Test
  void samplesWithoutUtilizationCountAsMissingNotZero() {
    pipeMaybe("upstage", "GPU-1", 1_000, 80.0, 500.0, null, 0, null, null);
    pipeMaybe("upstage", "GPU-2", 2_000, null, 300.0, null, 0, null, null);
    pipeMaybe("upstage", "GPU-2", 32_000, null, 300.0, null, 0, null, null);
    pipeMaybe("lg-ai-research", "GPU-9", 3_000, null, 250.0, null, 0, null, null);

    Map<String, TeamFleetMinute> w = lastPerTeamWindow();
    TeamFleetMinute u = w.get("upstage@0");
    assertThat(u.getGpusReporting()).isEqualTo(2);
    assertThat(u.getSamples()).isEqualTo(3);
    assertThat(u.getUtilizationMeanPct()).isEqualTo(80.0);
    assertThat(u.getUtilizationP95Pct()).isEqualTo(80.0);
    assertThat(u.getIdleGpus()).isZero();
    assertThat(u.getPowerKw()).isCloseTo(0.8, within(1e-12));

    TeamFleetMinute lg = w.get("lg-ai-research@0");
    assertThat(lg.getGpusReporting()).isEqualTo(1);
    assertThat(lg.getUtilizationMeanPct()).isNull();
    assertThat(lg.getUtilizationP95Pct()).isNull();
    assertThat(lg.getIdleGpus()).isZero();
    assertThat(lg.getPowerKw()).isCloseTo(0.25, within(1e-12));
  }

  /**
   * Power x time meters at most five minutes of a gap: a GPU silent for two hours does not dump two
   * hours of energy into the minute it comes back in. A counter meters any gap (it integrates).
   */
  @Test
  void aLongSilenceIsMeteredFromPowerForAtMostFiveMinutes() {
    pipe("upstage", "GPU-1", 1_000, 80, 600.0, null, 0, null, null);
    pipe("upstage", "GPU-2", 1_000, 80, 600.0, 1_000_000L, 0, null, null);
    pipe("upstage", "GPU-1", 1_000 + 2 * 3_600_000L, 80, 600.0, null, 0, null, null);
    pipe("upstage", "GPU-2", 1_000 + 2 * 3_600_000L, 80, 600.0, 4_321_000_000L, 0, null, null);
    Map<String, TeamFleetMinute> w = lastPerTeamWindow();
    TeamFleetMinute back = w.get("upstage@" + 2 * 3_600_000L);
    // GPU-1: 600 W x 300 s = 0.05 kWh; GPU-2: its counter's 4,320,000,000 mJ = 1.2 kWh.
    assertThat(back.getEnergyKwh()).isCloseTo(0.05 + 1.2, within(1e-12));
  }

  /** An energy counter that jumps past what any GPU can draw is not believed: power meters it. */
  @Test
  void anImplausibleEnergyJumpIsMeteredFromPowerInstead() {
    pipe("upstage", "GPU-1", 1_000, 80, 500.0, 1_000_000L, 0, null, null);
    pipe("upstage", "GPU-1", 31_000, 80, 500.0, 1_000_000_000_000_000L, 0, null, null);
    TeamFleetMinute u0 = lastPerTeamWindow().get("upstage@0");
    assertThat(u0.getEnergyKwh()).isCloseTo(500 * 30_000 / 3.6e9, within(1e-15)); // 500 W x 30 s
  }

  @Test
  void aSampleWithIdsThatCouldBreakOutOfQuotedSqlIsDeadLetteredAndCountsNowhere() {
    var deadLetters =
        driver.createOutputTopic(
            topics.streamsDeadLetters.name(),
            Serdes.String().deserializer(),
            Serdes.ByteArray().deserializer());
    pipe("upstage", "GPU-1", 1_000, 80, null, null, null, null, null);
    pipe("upstage' OR '1'='1", "GPU-2", 2_000, 10, null, null, null, null, null);
    pipe("upstage", "upstage-c1", "r".repeat(10_000), 3_000, 10.0, null, null, null, null, null);

    Map<String, TeamFleetMinute> w = lastPerTeamWindow();
    assertThat(w).containsOnlyKeys("upstage@0");
    assertThat(w.get("upstage@0").getSamples()).isEqualTo(1);
    assertThat(w.get("upstage@0").getUtilizationMeanPct()).isEqualTo(80.0);
    var refused = deadLetters.readRecordsToList();
    assertThat(refused).hasSize(2);
    assertThat(new String(refused.get(0).headers().lastHeader("kai.dlq.reason").value()))
        .contains("team 'upstage' OR '1'='1' is not an id");
    assertThat(new String(refused.get(1).headers().lastHeader("kai.dlq.reason").value()))
        .contains("gpu_uuid")
        .contains("(10000 characters)");
    assertThat(new String(refused.get(0).value())).contains("GPU-2");
  }

  @Test
  void clustersGetTheirOwnRowsAndTheTeamRowAddsThemUp() {
    pipe("sk-telecom", "skt-a", "GPU-1", 1_000, 90.0, 600.0, null, 0, null, null);
    pipe("sk-telecom", "skt-b", "GPU-2", 2_000, 30.0, 200.0, null, 0, null, null);
    pipe("sk-telecom", "skt-b", "GPU-3", 3_000, 60.0, 400.0, null, 0, null, null);
    emit();
    Map<String, TeamFleetMinute> clusters = new LinkedHashMap<>();
    for (KeyValue<String, TeamFleetMinute> kv : clusterKpis.readKeyValuesToList()) {
      assertThat(kv.key).isEqualTo(kv.value.getTeam() + "/" + kv.value.getCluster());
      clusters.put(kv.key, kv.value);
    }
    assertThat(clusters).containsOnlyKeys("sk-telecom/skt-a", "sk-telecom/skt-b");
    assertThat(clusters.get("sk-telecom/skt-b").getGpusReporting()).isEqualTo(2);
    assertThat(clusters.get("sk-telecom/skt-b").getUtilizationMeanPct()).isEqualTo(45.0);
    assertThat(clusters.get("sk-telecom/skt-b").getPowerKw()).isCloseTo(0.6, within(1e-12));
    assertThat(clusters.get("sk-telecom/skt-b").getGpuAllocation())
        .isNull(); // allocations are per team
    TeamFleetMinute team = lastPerTeamWindow().get("sk-telecom@0");
    assertThat(team.getCluster()).isEqualTo("*");
    assertThat(team.getGpusReporting()).isEqualTo(3);
    assertThat(team.getUtilizationMeanPct()).isEqualTo(60.0);
    assertThat(team.getPowerKw()).isCloseTo(1.2, within(1e-12));
  }

  @Test
  void outOfOrderWithinGraceCountsAndLaterThanGraceIsDropped() {
    pipe("nc-ai", "GPU-1", 20_000, 50, null, null, null, null, null); // window 0
    pipe("nc-ai", "GPU-1", 65_000, 70, null, null, null, null, null); // window 1; stream time 65 s
    pipe("nc-ai", "GPU-2", 50_000, 30, null, null, null, null, null); // late, within the 10 s grace
    pipe("nc-ai", "GPU-1", 71_000, 90, null, null, null, null, null); // window 0 is now closed
    pipe("nc-ai", "GPU-3", 59_000, 99, null, null, null, null, null); // too late: dropped
    pipe("upstage", "GPU-4", 58_000, 10, null, null, null, null, null); // too late: dropped
    pipe("upstage", "GPU-4", 40_000, 10, null, null, null, null, null); // too late: dropped
    Map<String, TeamFleetMinute> w = lastPerTeamWindow();
    assertThat(w.get("nc-ai@0").getGpusReporting()).isEqualTo(2);
    assertThat(w.get("nc-ai@0").getUtilizationMeanPct()).isEqualTo(40.0);
    assertThat(w.get("nc-ai@60000").getSamples()).isEqualTo(2);
    assertThat(w.get("nc-ai@60000").getUtilizationMeanPct()).isEqualTo(80.0);
    assertThat(kpis.isEmpty()).isTrue();
    double dropped =
        driver.metrics().entrySet().stream()
            .filter(e -> e.getKey().name().equals("late-sample-dropped-total"))
            .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
            .sum();
    assertThat(dropped).isEqualTo(3.0); // the samples of 59, 58 and 40 s, not the one of 50 s
    assertThat(lateByTeam("nc-ai")).isEqualTo(1.0);
    assertThat(lateByTeam("upstage")).isEqualTo(2.0);
    // The job's Prometheus view of the same Streams metrics: late drops per team, and the age of
    // the records reaching its nodes (Kafka Streams' end-to-end latency).
    var snapshot =
        kai.telemetry.streams.support.JobMetrics.snapshot(
            "fleet-kpi-job", driver.metrics(), "RUNNING");
    java.util.function.Function<String, Integer> points =
        name ->
            snapshot.stream()
                .filter(x -> x.getMetadata().getName().equals(name))
                .mapToInt(x -> x.getDataPoints().size())
                .sum();
    assertThat(points.apply("kai_job_late_dropped_records")).isEqualTo(2); // nc-ai, upstage
    assertThat(points.apply("kai_job_event_age_ms")).isPositive();
  }

  private double lateByTeam(String team) {
    return driver.metrics().entrySet().stream()
        .filter(e -> e.getKey().name().equals("late-sample-dropped-by-team-total"))
        .filter(e -> team.equals(e.getKey().tags().get("team")))
        .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
        .sum();
  }

  private static org.apache.kafka.common.serialization.Serde<FleetInput> fleetInput() {
    var reader =
        new org.apache.avro.specific.SpecificDatumReader<FleetInput>(
            GpuSample.getClassSchema(), FleetInput.getClassSchema());
    return Serdes.serdeFrom(
        (topic, value) -> {
          throw new UnsupportedOperationException("the job only reads samples");
        },
        (topic, bytes) -> {
          try {
            return reader.read(
                null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(bytes, null));
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  /** Utilization mostly under the idle line, power and activity sometimes missing, rare XIDs. */
  @Test
  void theJobsReaderSchemaReadsEveryGpuSample() {
    var result =
        org.apache.avro.SchemaCompatibility.checkReaderWriterCompatibility(
            FleetInput.getClassSchema(), GpuSample.getClassSchema());
    assertThat(result.getType())
        .as(result.getDescription())
        .isEqualTo(org.apache.avro.SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    for (var field : FleetInput.getClassSchema().getFields()) { // the job's fields are all read
      assertThat(GpuSample.getClassSchema().getField(field.name())).as(field.name()).isNotNull();
    }
  }

  /**
   * A GPU without a sample for a day of event time (the default) is forgotten once its minutes are
   * closed: a flood of ids seen once does not stay in the job's state. A GPU that comes back is
   * counted again like any new one.
   */
  @Test
  void aGpuSilentForADayIsForgottenAndCountsAgainWhenItReturns() {
    long day = 24 * 60 * MIN;
    long t0 = 1_768_467_600_000L;
    at("GPU-A", t0, 50);
    at("GPU-B", t0, 50);
    emit();
    org.apache.kafka.streams.state.KeyValueStore<String, Object> gpus =
        driver.getKeyValueStore(FleetKpiJob.GPU_STORE);
    assertThat(gpus.get("GPU-A")).isNotNull();
    at("GPU-B", t0 + day + 2 * MIN, 60);
    emit();
    assertThat(gpus.get("GPU-A")).as("silent for a day: forgotten").isNull();
    assertThat(gpus.get("GPU-B")).isNotNull();
    at("GPU-A", t0 + day + 2 * MIN + 1_000, 70);
    emit();
    TeamFleetMinute last = null;
    for (TeamFleetMinute m : kpis.readValuesToList()) {
      if (m.getWindowStartMs() == t0 + day + 2 * MIN) {
        last = m;
      }
    }
    assertThat(last).isNotNull();
    assertThat(last.getGpusReporting()).isEqualTo(2);
    assertThat(last.getUtilizationMeanPct()).isEqualTo(65.0);
  }

  /** A sample whose record time is its event time. */
  private void at(String gpu, long ts, double util) {
    samples.pipeInput(
        gpu,
        GpuSample.newBuilder()
            .setTeam("upstage")
            .setCluster("upstage-c1")
            .setNode("n1")
            .setGpuUuid(gpu)
            .setGpuIndex(0)
            .setTsMs(ts)
            .setUtilizationPct(util)
            .build(),
        ts);
  }

  @Test
  void internalTopicAndStoreNamesAreStable() {
    String description =
        FleetKpiJob.build(
                topics,
                fleetInput(),
                new PlainAvroSerde<>(TeamInfo.class),
                new PlainAvroSerde<>(TeamFleetMinute.class),
                Duration.ofMinutes(1),
                Duration.ofSeconds(10))
            .describe()
            .toString();
    assertThat(description)
        .contains("by-team-repartition")
        .contains(FleetKpiJob.STORE)
        .contains(FleetKpiJob.GPU_STORE)
        .contains(FleetKpiJob.DIRTY_STORE)
        .doesNotContain("KSTREAM-AGGREGATE-STATE-STORE")
        .doesNotContain("KTABLE-AGGREGATE-STATE-STORE");
  }
}
