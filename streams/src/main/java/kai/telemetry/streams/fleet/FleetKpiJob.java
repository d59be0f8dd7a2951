package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerde;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.EventTimeExtractor;
import kai.telemetry.streams.support.InternalAvroSerde;
import kai.telemetry.streams.support.WriteBehindKeyValueStore;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * Fleet KPIs per team, and per team cluster, per 1-minute event-time window, in two stages so that
 * no state holds a whole fleet and little is written per sample. Stage one runs on the input
 * partitions (samples keyed by GPU UUID): each GPU's energy meter and open minutes are one store
 * entry, written once per commit ({@link WriteBehindKeyValueStore}), and the partition's share of
 * each team cluster-minute is sent on, keyed by team, only for minutes that changed and at most
 * once per emit interval ({@link GpuMinutesProcessor}). Stage two adds the partitions' shares up
 * per team and emits the cluster's and the team's row ({@link TeamMinutesProcessor}). Allocation
 * and coverage come from the teams reference topic. Samples later than the grace period are dropped
 * and counted. Rows carry a version (their sample count) that grows with every update.
 */
public final class FleetKpiJob {

  public static final String JOB = "fleet-kpi-job";
  public static final String STORE = "team-fleet-minute-store";
  public static final String GPU_STORE = "gpu-state-store";
  public static final String DIRTY_STORE = "fleet-changed-shares-store";
  public static final String TEAMS_STORE = "fleet-teams-store";
  static final double IDLE_BELOW_PCT = 5.0;

  /** How often stage one sends the shares that changed: what "live" means for the fleet rows. */
  public static final Duration EMIT_INTERVAL = Duration.ofSeconds(1);

  private FleetKpiJob() {}

  public static Topology build(
      Topics topics,
      Serde<FleetInput> sampleSerde,
      Serde<TeamInfo> teamSerde,
      Serde<TeamFleetMinute> kpiSerde,
      Duration windowSize,
      Duration grace) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(
        // A GPU's entry changes with every sample: serialize and log it once per commit.
        WriteBehindKeyValueStore.builder(
            Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore(GPU_STORE),
                    Serdes.String(),
                    new InternalAvroSerde<>(GpuState.class))
                .withCachingDisabled()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(DIRTY_STORE), Serdes.String(), Serdes.Long())
            .withCachingEnabled());
    builder.addStateStore(
        // A team-minute's entry changes with every share that arrives: write it once per commit.
        WriteBehindKeyValueStore.builder(
            Stores.keyValueStoreBuilder(
                    Stores.persistentKeyValueStore(STORE),
                    Serdes.String(),
                    new InternalAvroSerde<>(FleetMerge.class))
                .withCachingDisabled()));
    builder.globalTable(
        topics.teams.name(),
        Consumed.with(Serdes.String(), teamSerde).withName("fleet-teams-source"),
        Materialized.<String, TeamInfo, KeyValueStore<Bytes, byte[]>>as(TEAMS_STORE)
            .withKeySerde(Serdes.String())
            .withValueSerde(teamSerde));
    Duration retention = windowSize.plus(grace).plus(Duration.ofHours(1));
    String teamTopic = topics.teamFleetMinute.name();
    String clusterTopic = topics.clusterFleetMinute.name();
    builder.stream(
            topics.gpuSamples.name(),
            Consumed.with(Serdes.String(), sampleSerde)
                .withTimestampExtractor(new EventTimeExtractor())
                .withName("gpu-samples-source"))
        .process(
            () -> new GpuMinutesProcessor(windowSize, grace, EMIT_INTERVAL),
            Named.as("gpu-minutes"),
            GPU_STORE,
            DIRTY_STORE)
        .repartition(
            Repartitioned.<String, FleetPartial>as("by-team")
                .withNumberOfPartitions(1)
                .withKeySerde(Serdes.String())
                .withValueSerde(new InternalAvroSerde<>(FleetPartial.class)))
        .process(
            () -> new TeamMinutesProcessor(windowSize, retention), Named.as("team-minutes"), STORE)
        .to(
            (key, kpi, ctx) -> kpi.getCluster().equals("*") ? teamTopic : clusterTopic,
            Produced.with(Serdes.String(), kpiSerde).withName("fleet-minute-sink"));
    return builder.build();
  }

  /** Adds one share of a minute to a sum of shares (histograms merged bucket by bucket). */
  static void add(TeamFleetState sum, TeamFleetState s) {
    mergeHistogram(sum, s.getHistBuckets(), s.getHistCounts());
    sum.setGpus(sum.getGpus() + s.getGpus());
    sum.setSamples(sum.getSamples() + s.getSamples());
    sum.setUtilSum(sum.getUtilSum() + s.getUtilSum());
    sum.setIdleGpus(sum.getIdleGpus() + s.getIdleGpus());
    sum.setPowerW(sum.getPowerW() + s.getPowerW());
    sum.setPowerGpus(sum.getPowerGpus() + s.getPowerGpus());
    sum.setSmSum(sum.getSmSum() + s.getSmSum());
    sum.setSmN(sum.getSmN() + s.getSmN());
    sum.setTensorSum(sum.getTensorSum() + s.getTensorSum());
    sum.setTensorN(sum.getTensorN() + s.getTensorN());
    sum.setEnergyMj(sum.getEnergyMj() + s.getEnergyMj());
    sum.setXidGpus(sum.getXidGpus() + s.getXidGpus());
  }

  /** A share (or sum of shares) of a team cluster's minute that counts nothing yet. */
  static TeamFleetState emptyShareOf(String team, String cluster, long windowStartMs) {
    return new TeamFleetState(
        team,
        cluster,
        windowStartMs,
        0,
        0L,
        0.0,
        new ArrayList<>(),
        new ArrayList<>(),
        0,
        0.0,
        0,
        0.0,
        0L,
        0.0,
        0L,
        0L,
        0,
        0L);
  }

  /** A GPU's minute before its first sample. */
  static GpuMinuteState emptyMinute(long windowStartMs) {
    return new GpuMinuteState(
        windowStartMs,
        "",
        "",
        0L,
        0.0,
        0.0,
        new ArrayList<>(),
        0.0,
        0L,
        0.0,
        0L,
        0.0,
        0L,
        0L,
        false);
  }

  /**
   * Adds sample {@code f} to GPU minute {@code g}, in place (the sample's team and cluster become
   * the minute's). When {@code share} is not null it counts {@code g} and is brought up to date at
   * the cost of the new sample only: the same result as removing {@code g} from it with {@link
   * #plus} before the sample and adding it back after.
   */
  static void addSample(GpuMinuteState g, FleetSample f, TeamFleetState share) {
    boolean wasIdle = g.getSamples() > 0 && g.getUtilMax() < IDLE_BELOW_PCT;
    double meanPowerBefore = meanPower(g);
    boolean hadPower = g.getPowerN() > 0;
    boolean hadXid = g.getXid();
    double util = f.getUtilizationPct();
    int tenth = (int) Math.round(Math.max(0, Math.min(100, util)) * 10); // 0..1000
    g.setTeam(f.getTeam());
    g.setCluster(f.getCluster());
    g.setUtilMax(g.getSamples() == 0 ? util : Math.max(g.getUtilMax(), util));
    g.setSamples(g.getSamples() + 1);
    g.setUtilSum(g.getUtilSum() + util);
    g.getUtilTenths().add(tenth);
    g.setEnergyMj(g.getEnergyMj() + f.getEnergyDeltaMj());
    g.setXid(hadXid || f.getXid());
    Double power = f.getPowerW();
    if (power != null) {
      g.setPowerSum(g.getPowerSum() + power);
      g.setPowerN(g.getPowerN() + 1);
    }
    Double sm = f.getSmActive();
    if (sm != null) {
      g.setSmSum(g.getSmSum() + sm);
      g.setSmN(g.getSmN() + 1);
    }
    Double tensor = f.getTensorActive();
    if (tensor != null) {
      g.setTensorSum(g.getTensorSum() + tensor);
      g.setTensorN(g.getTensorN() + 1);
    }
    if (share == null) {
      return;
    }
    addToHistogram(share.getHistBuckets(), share.getHistCounts(), tenth, 1);
    share.setSamples(share.getSamples() + 1);
    share.setUtilSum(share.getUtilSum() + util);
    share.setIdleGpus(share.getIdleGpus() + idle(g) - (wasIdle ? 1 : 0));
    share.setPowerW(share.getPowerW() + meanPower(g) - meanPowerBefore);
    share.setPowerGpus(share.getPowerGpus() + (g.getPowerN() > 0 ? 1 : 0) - (hadPower ? 1 : 0));
    if (sm != null) {
      share.setSmSum(share.getSmSum() + sm);
      share.setSmN(share.getSmN() + 1);
    }
    if (tensor != null) {
      share.setTensorSum(share.getTensorSum() + tensor);
      share.setTensorN(share.getTensorN() + 1);
    }
    share.setEnergyMj(share.getEnergyMj() + f.getEnergyDeltaMj());
    share.setXidGpus(share.getXidGpus() + (g.getXid() ? 1 : 0) - (hadXid ? 1 : 0));
    share.setUpdates(share.getUpdates() + 1);
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

  private static int idle(GpuMinuteState g) {
    return g.getUtilMax() < IDLE_BELOW_PCT ? 1 : 0;
  }

  private static double meanPower(GpuMinuteState g) {
    return g.getPowerN() > 0 ? g.getPowerSum() / g.getPowerN() : 0;
  }

  /** Adds a sparse histogram to {@code sum}'s in one pass over both (both are ascending). */
  private static void mergeHistogram(
      TeamFleetState sum, List<Integer> buckets, List<Integer> counts) {
    List<Integer> b1 = sum.getHistBuckets();
    List<Integer> c1 = sum.getHistCounts();
    List<Integer> bOut = new ArrayList<>(b1.size() + buckets.size());
    List<Integer> cOut = new ArrayList<>(b1.size() + buckets.size());
    int i = 0;
    int j = 0;
    while (i < b1.size() || j < buckets.size()) {
      int x = i < b1.size() ? b1.get(i) : Integer.MAX_VALUE;
      int y = j < buckets.size() ? buckets.get(j) : Integer.MAX_VALUE;
      if (x < y) {
        bOut.add(x);
        cOut.add(c1.get(i++));
      } else if (y < x) {
        bOut.add(y);
        cOut.add(counts.get(j++));
      } else {
        bOut.add(x);
        cOut.add(c1.get(i++) + counts.get(j++));
      }
    }
    sum.setHistBuckets(bOut);
    sum.setHistCounts(cOut);
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

  /**
   * The GPU samples as the job reads them: the registry's writer schema resolved to {@link
   * FleetInput}, so the fields the job does not use are skipped rather than decoded.
   */
  static Serde<FleetInput> fleetInputSerde(KpiStreamsConfig config) {
    Serde<FleetInput> serde = new AvroSerde<>(FleetInput.class);
    serde.configure(config.serdeConfig(), false);
    return serde;
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
            fleetInputSerde(config),
            topics.teams.valueSerde(config.serdeConfig()),
            topics.teamFleetMinute.valueSerde(config.serdeConfig()),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.WINDOW_SIZE_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.GRACE_MS)));
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }
}
