package kai.telemetry.streams.fleet;

import java.time.Duration;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Topics;
import kai.telemetry.schemas.registry.AvroSerde;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.EventTimeExtractor;
import kai.telemetry.streams.support.InternalAvroSerde;
import kai.telemetry.streams.support.ValidIds;
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

  /**
   * How often stage one sends the shares that changed, unless built with another: what "live" means
   * for the fleet rows. A running job sends them once per commit interval, since what it sends
   * becomes visible to readers only when it commits.
   */
  public static final Duration EMIT_INTERVAL = Duration.ofSeconds(1);

  private FleetKpiJob() {}

  public static Topology build(
      Topics topics,
      Serde<FleetInput> sampleSerde,
      Serde<TeamInfo> teamSerde,
      Serde<TeamFleetMinute> kpiSerde,
      Duration windowSize,
      Duration grace) {
    return build(
        topics,
        sampleSerde,
        teamSerde,
        kpiSerde,
        windowSize,
        grace,
        Duration.ofDays(1),
        EMIT_INTERVAL);
  }

  /**
   * As above; a GPU unseen for {@code evictAfter} of event time is forgotten, and changed shares
   * are sent every {@code emitInterval} of wall-clock time.
   */
  public static Topology build(
      Topics topics,
      Serde<FleetInput> sampleSerde,
      Serde<TeamInfo> teamSerde,
      Serde<TeamFleetMinute> kpiSerde,
      Duration windowSize,
      Duration grace,
      Duration evictAfter,
      Duration emitInterval) {
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
    ValidIds.only(
            builder.stream(
                topics.gpuSamples.name(),
                Consumed.with(Serdes.String(), sampleSerde)
                    .withTimestampExtractor(new EventTimeExtractor())
                    .withName("gpu-samples-source")),
            "gpu-samples",
            s -> ValidIds.sample(s.getTeam(), s.getCluster(), s.getGpuUuid()),
            s -> ValidIds.sampleProblems(s.getTeam(), s.getCluster(), s.getGpuUuid()),
            topics.streamsDeadLetters.name())
        .process(
            () -> new GpuMinutesProcessor(windowSize, grace, emitInterval, evictAfter),
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
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KpiJobs.runUntilShutdown(JOB, start(config), config.getInt(KpiStreamsConfig.METRICS_PORT));
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
            Duration.ofMillis(config.getLong(KpiStreamsConfig.GRACE_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.STATE_EVICT_AFTER_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.COMMIT_INTERVAL_MS)));
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }
}
