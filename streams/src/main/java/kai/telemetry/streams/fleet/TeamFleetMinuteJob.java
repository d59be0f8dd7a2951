package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.EventTimeExtractor;
import kai.telemetry.streams.support.InternalAvroSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Fleet KPIs per team per 1-minute event-time window, in two stages so that no state holds a whole
 * fleet: first per GPU and window (samples are keyed by GPU UUID, so no repartition), then per team
 * and window by adding each GPU's window and subtracting its previous version. Energy is metered
 * per GPU between consecutive samples first. Allocation and coverage come from the teams reference
 * topic. Samples later than the grace period are dropped and counted by Kafka Streams
 * (dropped-records metric). Every update is emitted with a growing version.
 */
public final class TeamFleetMinuteJob {

  public static final String JOB = "fleet";
  public static final String STORE = "team-fleet-minute-store";
  public static final String CLUSTER_STORE = "cluster-fleet-minute-store";
  public static final String GPU_STORE = "gpu-minute-store";
  public static final String METER_STORE = "gpu-meter-store";
  public static final String TEAMS_STORE = "fleet-teams-store";
  static final double IDLE_BELOW_PCT = 5.0;

  private TeamFleetMinuteJob() {}

  public static Topology build(
      Topics topics,
      Serde<GpuSample> sampleSerde,
      Serde<TeamInfo> teamSerde,
      Serde<TeamFleetMinute> kpiSerde,
      Duration windowSize,
      Duration grace) {
    Serde<GpuMinuteState> gpuSerde = new InternalAvroSerde<>(GpuMinuteState.class);
    Serde<TeamFleetState> teamStateSerde = new InternalAvroSerde<>(TeamFleetState.class);
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(METER_STORE),
                Serdes.String(),
                new InternalAvroSerde<>(GpuMeter.class))
            // A GPU's meter changes with every sample: write it out once per commit.
            .withCachingEnabled());
    GlobalKTable<String, TeamInfo> teams =
        builder.globalTable(
            topics.teams.name(),
            Consumed.with(Serdes.String(), teamSerde).withName("fleet-teams-source"),
            Materialized.<String, TeamInfo, KeyValueStore<Bytes, byte[]>>as(TEAMS_STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(teamSerde));
    KTable<Windowed<String>, GpuMinuteState> perGpu =
        builder.stream(
                topics.gpuSamples.name(),
                Consumed.with(Serdes.String(), sampleSerde)
                    .withTimestampExtractor(new EventTimeExtractor())
                    .withName("gpu-samples-source"))
            .processValues(GpuMeterProcessor::new, Named.as("meter-energy"), METER_STORE)
            .groupByKey(
                Grouped.with("by-gpu", Serdes.String(), new InternalAvroSerde<>(FleetSample.class)))
            .windowedBy(TimeWindows.ofSizeAndGrace(windowSize, grace))
            .aggregate(
                () -> GpuMinuteState.newBuilder().build(),
                (gpu, sample, state) -> addSample(state, sample),
                Named.as("gpu-minute-aggregate"),
                Materialized.<String, GpuMinuteState, WindowStore<Bytes, byte[]>>as(GPU_STORE)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(gpuSerde)
                    .withRetention(windowSize.plus(grace).plus(Duration.ofHours(1))));
    // Team totals (cluster *) and per-cluster rows: the same second stage over two groupings.
    fleetLevel(perGpu, teams, "by-team", STORE, windowSize, gpuSerde, teamStateSerde, false)
        .to(
            topics.teamFleetMinute.name(),
            Produced.with(Serdes.String(), kpiSerde).withName("team-fleet-minute-sink"));
    fleetLevel(
            perGpu, teams, "by-cluster", CLUSTER_STORE, windowSize, gpuSerde, teamStateSerde, true)
        .to(
            topics.clusterFleetMinute.name(),
            Produced.with(Serdes.String(), kpiSerde).withName("cluster-fleet-minute-sink"));
    return builder.build();
  }

  private static org.apache.kafka.streams.kstream.KStream<String, TeamFleetMinute> fleetLevel(
      KTable<Windowed<String>, GpuMinuteState> perGpu,
      GlobalKTable<String, TeamInfo> teams,
      String name,
      String store,
      Duration windowSize,
      Serde<GpuMinuteState> gpuSerde,
      Serde<TeamFleetState> stateSerde,
      boolean perCluster) {
    return perGpu
        .groupBy(
            (window, gpu) ->
                KeyValue.pair(
                    gpu.getTeam()
                        + "@"
                        + (perCluster ? gpu.getCluster() : "*")
                        + "@"
                        + window.window().start(),
                    gpu),
            Grouped.with(name, Serdes.String(), gpuSerde))
        .aggregate(
            () -> TeamFleetState.newBuilder().build(),
            (key, gpu, team) -> plus(key, team, gpu, 1),
            (key, gpu, team) -> plus(key, team, gpu, -1),
            Named.as(name + "-aggregate"),
            Materialized.<String, TeamFleetState, KeyValueStore<Bytes, byte[]>>as(store)
                .withKeySerde(Serdes.String())
                .withValueSerde(stateSerde))
        .toStream(Named.as(name + "-updates"))
        .filter((key, state) -> state != null && state.getGpus() > 0, Named.as(name + "-with-gpus"))
        .leftJoin(
            teams,
            (key, state) -> state.getTeam(),
            (state, team) -> toKpi(state, perCluster ? null : team, windowSize),
            Named.as(name + "-with-allocation"))
        .selectKey(
            (key, kpi) -> perCluster ? kpi.getTeam() + "/" + kpi.getCluster() : kpi.getTeam(),
            Named.as(name + "-key"));
  }

  static GpuMinuteState addSample(GpuMinuteState s, FleetSample f) {
    List<Integer> tenths = new ArrayList<>(s.getUtilTenths());
    tenths.add((int) Math.round(Math.max(0, Math.min(100, f.getUtilizationPct())) * 10)); // 0..1000
    GpuMinuteState.Builder b =
        GpuMinuteState.newBuilder(s)
            .setTeam(f.getTeam())
            .setCluster(f.getCluster())
            .setSamples(s.getSamples() + 1)
            .setUtilSum(s.getUtilSum() + f.getUtilizationPct())
            .setUtilMax(
                s.getSamples() == 0
                    ? f.getUtilizationPct()
                    : Math.max(s.getUtilMax(), f.getUtilizationPct()))
            .setUtilTenths(tenths)
            .setEnergyMj(s.getEnergyMj() + f.getEnergyDeltaMj())
            .setXid(s.getXid() || f.getXid());
    if (f.getPowerW() != null) {
      b.setPowerSum(s.getPowerSum() + f.getPowerW()).setPowerN(s.getPowerN() + 1);
    }
    if (f.getSmActive() != null) {
      b.setSmSum(s.getSmSum() + f.getSmActive()).setSmN(s.getSmN() + 1);
    }
    if (f.getTensorActive() != null) {
      b.setTensorSum(s.getTensorSum() + f.getTensorActive()).setTensorN(s.getTensorN() + 1);
    }
    return b.build();
  }

  /**
   * Adds ({@code sign} 1) or removes (-1) one GPU's window from its team's window. Mutates and
   * returns {@code t}: the store hands each call a freshly deserialized state.
   */
  static TeamFleetState plus(String key, TeamFleetState t, GpuMinuteState g, int sign) {
    if (t.getGpus() == 0 && t.getTeam().isEmpty()) {
      int first = key.indexOf('@');
      int last = key.lastIndexOf('@');
      t.setTeam(key.substring(0, first));
      t.setCluster(key.substring(first + 1, last));
      t.setWindowStartMs(Long.parseLong(key.substring(last + 1)));
      t.setHistBuckets(new ArrayList<>());
      t.setHistCounts(new ArrayList<>());
    }
    for (int tenth : g.getUtilTenths()) {
      addToHistogram(t.getHistBuckets(), t.getHistCounts(), tenth, sign);
    }
    boolean hasPower = g.getPowerN() > 0;
    t.setGpus(t.getGpus() + sign);
    t.setSamples(t.getSamples() + sign * g.getSamples());
    t.setUtilSum(t.getUtilSum() + sign * g.getUtilSum());
    t.setIdleGpus(t.getIdleGpus() + (g.getUtilMax() < IDLE_BELOW_PCT ? sign : 0));
    t.setPowerW(t.getPowerW() + (hasPower ? sign * g.getPowerSum() / g.getPowerN() : 0));
    t.setPowerGpus(t.getPowerGpus() + (hasPower ? sign : 0));
    t.setSmSum(t.getSmSum() + sign * g.getSmSum());
    t.setSmN(t.getSmN() + sign * g.getSmN());
    t.setTensorSum(t.getTensorSum() + sign * g.getTensorSum());
    t.setTensorN(t.getTensorN() + sign * g.getTensorN());
    t.setEnergyMj(t.getEnergyMj() + sign * g.getEnergyMj());
    t.setXidGpus(t.getXidGpus() + (g.getXid() ? sign : 0));
    t.setUpdates(t.getUpdates() + (sign > 0 ? 1 : 0));
    return t;
  }

  /** Sparse histogram: ascending buckets with their counts; empty buckets are removed. */
  static void addToHistogram(List<Integer> buckets, List<Integer> counts, int bucket, int delta) {
    int at = Collections.binarySearch(buckets, bucket);
    if (at >= 0) {
      int c = counts.get(at) + delta;
      if (c == 0) {
        buckets.remove(at);
        counts.remove(at);
      } else {
        counts.set(at, c);
      }
    } else if (delta > 0) {
      buckets.add(-at - 1, bucket);
      counts.add(-at - 1, delta);
    }
  }

  /** Nearest-rank 95th percentile from the sparse 0.1% histogram. */
  static double p95(List<Integer> buckets, List<Integer> counts, long samples) {
    long rank = (long) Math.ceil(0.95 * samples);
    long seen = 0;
    for (int i = 0; i < buckets.size(); i++) {
      seen += counts.get(i);
      if (seen >= rank) {
        return buckets.get(i) / 10.0;
      }
    }
    return 100.0;
  }

  static TeamFleetMinute toKpi(TeamFleetState s, TeamInfo team, Duration windowSize) {
    Integer allocation = team == null ? null : team.getGpuAllocation();
    return TeamFleetMinute.newBuilder()
        .setTeam(s.getTeam())
        .setCluster(s.getCluster())
        .setWindowStartMs(s.getWindowStartMs())
        .setWindowEndMs(s.getWindowStartMs() + windowSize.toMillis())
        .setGpusReporting(s.getGpus())
        .setSamples(s.getSamples())
        .setUtilizationMeanPct(s.getUtilSum() / s.getSamples())
        .setVersion(s.getUpdates())
        .setGpuAllocation(allocation)
        .setCoveragePct(
            allocation == null || allocation == 0 ? null : s.getGpus() * 100.0 / allocation)
        .setUtilizationP95Pct(p95(s.getHistBuckets(), s.getHistCounts(), s.getSamples()))
        .setSmActiveMean(s.getSmN() == 0 ? null : s.getSmSum() / s.getSmN())
        .setTensorActiveMean(s.getTensorN() == 0 ? null : s.getTensorSum() / s.getTensorN())
        .setIdleGpus(s.getIdleGpus())
        .setPowerKw(s.getPowerGpus() == 0 ? null : s.getPowerW() / 1000)
        .setEnergyKwh(s.getEnergyMj() / 3.6e9)
        .setGpuHours(s.getGpus() * windowSize.toMillis() / 3_600_000.0)
        .setXidFaults(s.getXidGpus())
        .build();
  }

  /** Builds the topology from {@code config} and runs it until the JVM is asked to stop. */
  public static void main(String[] args) {
    KpiJobs.runUntilShutdown(JOB, start(KpiStreamsConfig.fromArgs(args)));
  }

  /** Starts the job; the caller closes the returned instance. */
  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    Topology topology =
        build(
            topics,
            topics.gpuSamples.valueSerde(config.serdeConfig()),
            topics.teams.valueSerde(config.serdeConfig()),
            topics.teamFleetMinute.valueSerde(config.serdeConfig()),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.WINDOW_SIZE_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.GRACE_MS)));
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }
}
