package kai.telemetry.streams.alerts;

import kai.telemetry.events.GpuSample;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.RunMinute;
import kai.telemetry.kpis.TeamFleetMinute;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import kai.telemetry.streams.support.EventTimeExtractor;
import kai.telemetry.streams.support.InternalAvroSerde;
import kai.telemetry.streams.support.RunEvents;
import kai.telemetry.streams.support.ValidIds;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.WallclockTimestampExtractor;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The alerts topic: stalled runs, divergence, idle fleets, GPU faults, silent clusters and records
 * the intake held back, each an episode with an OPEN and a RESOLVED record under one alert id.
 * Conditions on the absence of data (stalls, silence) are checked on wall-clock time.
 */
public final class AlertsJob {
  public static final String JOB = "alerts-job";

  /** Thresholds of the alert conditions. */
  public record Settings(
      long stallMs,
      long silenceMs,
      double idleUtilPct,
      int idleMinutes,
      long checkMs,
      long quarantineQuietMs,
      long evictAfterMs,
      double mfuCeiling,
      double gpuCountTolerance) {}

  private AlertsJob() {}

  public static Topology build(
      Topics topics,
      Serde<TrainingStep> stepSerde,
      Serde<RunLifecycle> lifecycleSerde,
      Serde<GpuSample> sampleSerde,
      Serde<TeamFleetMinute> fleetSerde,
      Serde<RunMinute> runMinuteSerde,
      Serde<Alert> alertSerde,
      Settings settings) {
    StreamsBuilder builder = new StreamsBuilder();
    Serde<Alert> alertStateSerde = new InternalAvroSerde<>(Alert.class);
    builder.addStateStore(kv(RunAlertProcessor.WATCH_STORE, Serdes.Long()));
    builder.addStateStore(kv(RunAlertProcessor.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(FleetAlertProcessors.IdleFleet.MINUTES_STORE, Serdes.Double()));
    builder.addStateStore(kv(FleetAlertProcessors.IdleFleet.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(FleetAlertProcessors.GpuFault.XID_STORE, Serdes.Integer()));
    builder.addStateStore(kv(FleetAlertProcessors.GpuFault.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(FleetAlertProcessors.Silence.SEEN_STORE, Serdes.Long()));
    builder.addStateStore(kv(FleetAlertProcessors.Silence.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(LossSpikeAlertProcessor.NEWEST_STORE, Serdes.Long()));
    builder.addStateStore(kv(LossSpikeAlertProcessor.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(QuarantineAlertProcessor.SEEN_STORE, Serdes.Long()));
    builder.addStateStore(kv(QuarantineAlertProcessor.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(ComputePlausibilityProcessor.NEWEST_STORE, Serdes.Long()));
    builder.addStateStore(kv(ComputePlausibilityProcessor.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(RunHardwareProcessor.DECLARED_STORE, Serdes.Long()));
    builder.addStateStore(kv(RunHardwareProcessor.STEPS_STORE, Serdes.Long()));
    builder.addStateStore(kv(RunHardwareProcessor.SEEN_STORE, Serdes.Long()));
    builder.addStateStore(kv(RunHardwareProcessor.ALERTS_STORE, alertStateSerde));
    builder.addStateStore(kv(RunHardwareProcessor.LAST_STORE, Serdes.Long()));

    KStream<String, SpecificRecord> runEvents =
        RunEvents.stream(builder, topics, stepSerde, lifecycleSerde);
    KStream<String, Alert> runAlerts =
        runEvents.process(
            () ->
                new RunAlertProcessor(
                    settings.stallMs(), settings.checkMs(), settings.evictAfterMs()),
            Named.as("run-alerts"),
            RunAlertProcessor.WATCH_STORE,
            RunAlertProcessor.ALERTS_STORE);

    KStream<String, RunMinute> runMinutes =
        builder.stream(
            topics.runMinute.name(),
            Consumed.with(Serdes.String(), runMinuteSerde).withName("alerts-run-minute-source"));
    KStream<String, Alert> spikeAlerts =
        runMinutes.process(
            LossSpikeAlertProcessor::new,
            Named.as("loss-spike-alerts"),
            LossSpikeAlertProcessor.NEWEST_STORE,
            LossSpikeAlertProcessor.ALERTS_STORE);
    KStream<String, Alert> plausibilityAlerts =
        runMinutes.process(
            () -> new ComputePlausibilityProcessor(settings.mfuCeiling()),
            Named.as("compute-plausibility-alerts"),
            ComputePlausibilityProcessor.NEWEST_STORE,
            ComputePlausibilityProcessor.ALERTS_STORE);

    KStream<String, Alert> idleAlerts =
        builder.stream(
                topics.teamFleetMinute.name(),
                Consumed.with(Serdes.String(), fleetSerde).withName("alerts-fleet-source"))
            .process(
                () ->
                    new FleetAlertProcessors.IdleFleet(
                        settings.idleUtilPct(), settings.idleMinutes()),
                Named.as("idle-fleet-alerts"),
                FleetAlertProcessors.IdleFleet.MINUTES_STORE,
                FleetAlertProcessors.IdleFleet.ALERTS_STORE);

    KStream<String, GpuSample> samples =
        ValidIds.only(
            builder.stream(
                topics.gpuSamples.name(),
                Consumed.with(Serdes.String(), sampleSerde)
                    .withTimestampExtractor(new EventTimeExtractor())
                    .withName("alerts-samples-source")),
            "alerts-samples",
            s -> ValidIds.sample(s.getTeam(), s.getCluster(), s.getGpuUuid()),
            s -> ValidIds.sampleProblems(s.getTeam(), s.getCluster(), s.getGpuUuid()),
            topics.streamsDeadLetters.name());
    KStream<String, Alert> gpuAlerts =
        samples.process(
            FleetAlertProcessors.GpuFault::new,
            Named.as("gpu-fault-alerts"),
            FleetAlertProcessors.GpuFault.XID_STORE,
            FleetAlertProcessors.GpuFault.ALERTS_STORE);
    KStream<String, Alert> silenceAlerts =
        samples
            .process(FleetAlertProcessors.ClusterHeartbeats::new, Named.as("cluster-heartbeat"))
            .repartition(Repartitioned.with(Serdes.String(), Serdes.Long()).withName("by-cluster"))
            .process(
                () ->
                    new FleetAlertProcessors.Silence(
                        settings.silenceMs(), settings.checkMs(), settings.evictAfterMs()),
                Named.as("silence-alerts"),
                FleetAlertProcessors.Silence.SEEN_STORE,
                FleetAlertProcessors.Silence.ALERTS_STORE);

    // GPU samples that name their run, keyed and partitioned like the run's steps, so that a run's
    // claims and the GPUs seen working for it meet in one task.
    double idle = settings.idleUtilPct();
    KStream<String, Object> observed =
        samples
            .filter(
                (gpu, s) -> s.getRunId() != null && Ids.isId(s.getRunId()),
                Named.as("samples-naming-a-run"))
            .map(
                (gpu, s) ->
                    KeyValue.pair(
                        Keys.of(s.getTeam(), s.getRunId()),
                        // A GPU without a utilization reading is not taken for idle.
                        s.getGpuUuid()
                            + "\t"
                            + (s.getUtilizationPct() == null || s.getUtilizationPct() >= idle
                                ? "1"
                                : "0")),
                Named.as("sample-by-run"))
            .repartition(
                Repartitioned.with(Serdes.String(), Serdes.String())
                    .withName("samples-by-run")
                    .withNumberOfPartitions(topics.trainingSteps.partitions()))
            .mapValues(
                (run, v) -> {
                  int tab = v.lastIndexOf('\t');
                  int slash = run.indexOf('/');
                  return (Object)
                      new RunHardwareProcessor.Observation(
                          run.substring(0, slash),
                          run.substring(slash + 1),
                          v.substring(0, tab),
                          v.endsWith("1"));
                },
                Named.as("as-observations"));
    KStream<String, Alert> hardwareAlerts =
        runEvents
            .mapValues(v -> (Object) v, Named.as("run-events-as-objects"))
            .merge(observed, Named.as("run-events-and-gpus"))
            .process(
                () ->
                    new RunHardwareProcessor(
                        settings.gpuCountTolerance(), idle, settings.evictAfterMs()),
                Named.as("run-hardware-alerts"),
                RunHardwareProcessor.DECLARED_STORE,
                RunHardwareProcessor.STEPS_STORE,
                RunHardwareProcessor.SEEN_STORE,
                RunHardwareProcessor.ALERTS_STORE,
                RunHardwareProcessor.LAST_STORE);

    KStream<String, Alert> quarantineAlerts =
        builder.stream(
                topics.quarantine.name(),
                Consumed.with(Serdes.String(), Serdes.ByteArray())
                    .withTimestampExtractor(new WallclockTimestampExtractor())
                    .withName("alerts-quarantine-source"))
            .process(
                () ->
                    new QuarantineAlertProcessor(
                        settings.quarantineQuietMs(), settings.checkMs(), topics.quarantine.name()),
                Named.as("quarantine-alerts"),
                QuarantineAlertProcessor.SEEN_STORE,
                QuarantineAlertProcessor.ALERTS_STORE);

    runAlerts
        .merge(idleAlerts, Named.as("merge-idle"))
        .merge(quarantineAlerts, Named.as("merge-quarantine"))
        .merge(gpuAlerts, Named.as("merge-gpu"))
        .merge(silenceAlerts, Named.as("merge-silence"))
        .merge(spikeAlerts, Named.as("merge-spike"))
        .merge(plausibilityAlerts, Named.as("merge-plausibility"))
        .merge(hardwareAlerts, Named.as("merge-hardware"))
        .to(
            topics.alerts.name(),
            Produced.with(Serdes.String(), alertSerde).withName("alerts-sink"));
    return builder.build();
  }

  private static <V> StoreBuilder<?> kv(String name, Serde<V> values) {
    return Stores.keyValueStoreBuilder(
        Stores.persistentKeyValueStore(name), Serdes.String(), values);
  }

  static Settings settings(KpiStreamsConfig c) {
    return new Settings(
        c.getLong(KpiStreamsConfig.ALERT_STALL_MS),
        c.getLong(KpiStreamsConfig.ALERT_SILENCE_MS),
        c.getDouble(KpiStreamsConfig.ALERT_IDLE_UTIL_PCT),
        c.getInt(KpiStreamsConfig.ALERT_IDLE_MINUTES),
        c.getLong(KpiStreamsConfig.ALERT_CHECK_MS),
        c.getLong(KpiStreamsConfig.ALERT_QUARANTINE_QUIET_MS),
        c.getLong(KpiStreamsConfig.STATE_EVICT_AFTER_MS),
        c.getDouble(KpiStreamsConfig.PLAUSIBILITY_MFU_MAX),
        c.getDouble(KpiStreamsConfig.GPU_COUNT_TOLERANCE));
  }

  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    Topology topology =
        build(
            topics,
            topics.trainingSteps.valueSerde(config.serdeConfig()),
            topics.runLifecycle.valueSerde(config.serdeConfig()),
            topics.gpuSamples.valueSerde(config.serdeConfig()),
            topics.teamFleetMinute.valueSerde(config.serdeConfig()),
            topics.runMinute.valueSerde(config.serdeConfig()),
            topics.alerts.valueSerde(config.serdeConfig()),
            settings(config));
    return KpiJobs.start(JOB, topology, config.streamsProperties(JOB));
  }

  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KpiJobs.runUntilShutdown(JOB, start(config), config.getInt(KpiStreamsConfig.METRICS_PORT));
  }
}
