package kai.telemetry.streams.fleet;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Topics;
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
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fleet KPI per team per 1-minute event-time window: distinct GPUs reporting, samples, and mean
 * utilization. Samples later than the grace period after their window closed are dropped and
 * counted by Kafka Streams (dropped-records metric). Every update of a window is emitted with a
 * growing version, so dashboards see windows fill live and the sink keeps the latest.
 */
public final class TeamFleetMinuteJob {
  private static final Logger log = LoggerFactory.getLogger(TeamFleetMinuteJob.class);

  public static final String STORE = "team-fleet-minute-store";
  public static final String JOB = "fleet";

  private TeamFleetMinuteJob() {}

  public static Topology build(
      Topics topics,
      Serde<GpuSample> sampleSerde,
      Serde<TeamFleetMinute> kpiSerde,
      Duration windowSize,
      Duration grace) {
    Serde<FleetMinuteState> stateSerde = new InternalAvroSerde<>(FleetMinuteState.class);
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            topics.gpuSamples.name(),
            Consumed.with(Serdes.String(), sampleSerde)
                .withTimestampExtractor(new EventTimeExtractor())
                .withName("gpu-samples-source"))
        .groupBy(
            (gpu, sample) -> sample.getTeam(),
            Grouped.with("by-team", Serdes.String(), sampleSerde))
        .windowedBy(TimeWindows.ofSizeAndGrace(windowSize, grace))
        .aggregate(
            TeamFleetMinuteJob::emptyState,
            (team, sample, state) -> add(state, sample),
            Named.as("fleet-minute-aggregate"),
            Materialized.<String, FleetMinuteState, WindowStore<Bytes, byte[]>>as(STORE)
                .withKeySerde(Serdes.String())
                .withValueSerde(stateSerde)
                .withRetention(windowSize.plus(grace).plus(Duration.ofHours(1))))
        .toStream(Named.as("fleet-minute-updates"))
        .map(
            (window, state) -> KeyValue.pair(window.key(), toKpi(window, state)),
            Named.as("to-kpi"))
        .to(
            topics.teamFleetMinute.name(),
            Produced.with(Serdes.String(), kpiSerde).withName("team-fleet-minute-sink"));
    return builder.build();
  }

  static FleetMinuteState emptyState() {
    return FleetMinuteState.newBuilder()
        .setGpuUuids(new ArrayList<>())
        .setSamples(0)
        .setUtilizationSum(0)
        .build();
  }

  static FleetMinuteState add(FleetMinuteState state, GpuSample sample) {
    List<String> gpus = new ArrayList<>(state.getGpuUuids());
    int at = Collections.binarySearch(gpus, sample.getGpuUuid());
    if (at < 0) {
      gpus.add(-at - 1, sample.getGpuUuid());
    }
    return FleetMinuteState.newBuilder()
        .setGpuUuids(gpus)
        .setSamples(state.getSamples() + 1)
        .setUtilizationSum(state.getUtilizationSum() + sample.getUtilizationPct())
        .build();
  }

  static TeamFleetMinute toKpi(Windowed<String> window, FleetMinuteState state) {
    return TeamFleetMinute.newBuilder()
        .setTeam(window.key())
        .setWindowStartMs(window.window().start())
        .setWindowEndMs(window.window().end())
        .setGpusReporting(state.getGpuUuids().size())
        .setSamples(state.getSamples())
        .setUtilizationMeanPct(state.getUtilizationSum() / state.getSamples())
        .setVersion(state.getSamples())
        .build();
  }

  /** Builds the topology from {@code config} and runs it until the JVM is asked to stop. */
  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KafkaStreams streams = start(config);
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  log.info("stopping the fleet KPI job");
                  streams.close(Duration.ofSeconds(30));
                  done.countDown();
                }));
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Starts the job; the caller closes the returned instance. */
  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    Topology topology =
        build(
            topics,
            topics.gpuSamples.valueSerde(config.serdeConfig()),
            topics.teamFleetMinute.valueSerde(config.serdeConfig()),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.WINDOW_SIZE_MS)),
            Duration.ofMillis(config.getLong(KpiStreamsConfig.GRACE_MS)));
    Properties props = config.streamsProperties(JOB);
    KafkaStreams streams = new KafkaStreams(topology, props);
    streams.setUncaughtExceptionHandler(
        e -> {
          log.error("fleet KPI job failed; shutting it down", e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setStateListener(
        (now, before) -> log.info("fleet KPI job state {} -> {}", before, now));
    log.info("fleet KPI job topology:\n{}", topology.describe());
    streams.start();
    return streams;
  }
}
