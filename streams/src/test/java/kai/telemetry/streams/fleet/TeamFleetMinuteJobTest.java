package kai.telemetry.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.InternalAvroSerde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TeamFleetMinuteJobTest {
  private static final long MIN = 60_000;
  private final Topics topics = Topics.defaults();
  private TopologyTestDriver driver;
  private TestInputTopic<String, GpuSample> samples;
  private TestOutputTopic<String, TeamFleetMinute> kpis;

  @BeforeEach
  void setUp() {
    var sampleSerde = new InternalAvroSerde<>(GpuSample.class);
    var kpiSerde = new InternalAvroSerde<>(TeamFleetMinute.class);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fleet-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    driver =
        new TopologyTestDriver(
            TeamFleetMinuteJob.build(
                topics, sampleSerde, kpiSerde, Duration.ofMinutes(1), Duration.ofSeconds(10)),
            props);
    samples =
        driver.createInputTopic(
            topics.gpuSamples.name(), Serdes.String().serializer(), sampleSerde.serializer());
    kpis =
        driver.createOutputTopic(
            topics.teamFleetMinute.name(), Serdes.String().deserializer(), kpiSerde.deserializer());
  }

  @AfterEach
  void tearDown() {
    driver.close();
  }

  private void pipe(String team, String gpu, long tsMs, double util) {
    GpuSample s =
        GpuSample.newBuilder()
            .setTeam(team)
            .setCluster(team + "-c1")
            .setNode("n1")
            .setGpuUuid(gpu)
            .setGpuIndex(0)
            .setTsMs(tsMs)
            .setUtilizationPct(util)
            .build();
    // Record time deliberately differs from event time: the job must window by ts_ms.
    samples.pipeInput(gpu, s, tsMs + 5 * MIN);
  }

  private static TeamFleetMinute kpi(String team, long start, int gpus, long n, double mean) {
    return TeamFleetMinute.newBuilder()
        .setTeam(team)
        .setWindowStartMs(start)
        .setWindowEndMs(start + MIN)
        .setGpusReporting(gpus)
        .setSamples(n)
        .setUtilizationMeanPct(mean)
        .setVersion(n)
        .build();
  }

  @Test
  void countsDistinctGpusAndAveragesUtilizationPerTeamAndMinute() {
    pipe("upstage", "GPU-1", 1_000, 80);
    pipe("upstage", "GPU-2", 10_000, 90);
    pipe("upstage", "GPU-1", 30_000, 100); // same GPU again: still 2 GPUs
    pipe("lg-ai-research", "GPU-9", 59_999, 40); // another team, same window
    pipe("upstage", "GPU-2", 60_000, 10); // first ms of the next window

    assertThat(kpis.readKeyValuesToList())
        .containsExactly(
            KeyValue.pair("upstage", kpi("upstage", 0, 1, 1, 80.0)),
            KeyValue.pair("upstage", kpi("upstage", 0, 2, 2, 85.0)),
            KeyValue.pair("upstage", kpi("upstage", 0, 2, 3, 90.0)),
            KeyValue.pair("lg-ai-research", kpi("lg-ai-research", 0, 1, 1, 40.0)),
            KeyValue.pair("upstage", kpi("upstage", MIN, 1, 1, 10.0)));
  }

  @Test
  void outOfOrderWithinGraceCountsAndLaterThanGraceIsDropped() {
    pipe("nc-ai", "GPU-1", 20_000, 50); // window 0
    pipe("nc-ai", "GPU-1", 65_000, 70); // window 1; stream time 65 s
    pipe("nc-ai", "GPU-2", 50_000, 30); // late for window 0 but within 10 s grace (ends 70 s)
    pipe("nc-ai", "GPU-1", 71_000, 90); // stream time 71 s: window 0 is now closed
    pipe("nc-ai", "GPU-3", 59_000, 99); // too late: dropped

    List<TeamFleetMinute> out = kpis.readValuesToList();
    assertThat(out)
        .containsExactly(
            kpi("nc-ai", 0, 1, 1, 50.0),
            kpi("nc-ai", MIN, 1, 1, 70.0),
            kpi("nc-ai", 0, 2, 2, 40.0),
            kpi("nc-ai", MIN, 1, 2, 80.0));
    assertThat(kpis.isEmpty()).isTrue();
  }

  @Test
  void internalTopicAndStoreNamesAreStable() {
    String description =
        TeamFleetMinuteJob.build(
                topics,
                new InternalAvroSerde<>(GpuSample.class),
                new InternalAvroSerde<>(TeamFleetMinute.class),
                Duration.ofMinutes(1),
                Duration.ofSeconds(10))
            .describe()
            .toString();
    assertThat(description)
        .contains("by-team-repartition")
        .contains(TeamFleetMinuteJob.STORE)
        .contains("fleet-minute-aggregate")
        .doesNotContain("KSTREAM-AGGREGATE-STATE-STORE");
  }
}
