package kai.telemetry.streams.intake;

import java.util.Map;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Topic;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Deserializer;
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
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The trust boundary between the teams and the program's numbers. Each team writes only its own
 * intake topics ({@code kai.team.<team>.*}: the broker enforces it with a prefixed ACL); this job
 * reads every team's intake by pattern, so a team that joins is picked up without a restart, and
 * copies each record, bytes unchanged, to the attributed raw topic the KPI jobs and the sink read,
 * which no team can write. A record that names another team, claims to be an official result,
 * cannot be read, carries a bad id or an event time too far ahead is held back in the quarantine
 * topic with the reason, where the alerts job raises it to the program office. Exactly once: a
 * record is copied or quarantined, never both, never twice.
 */
public final class IntakeJob {
  public static final String JOB = "intake-job";

  private IntakeJob() {}

  /**
   * The topology; {@code decoders} read the values of each attributed topic (by its name): the
   * registry's Avro deserializers in production.
   */
  public static Topology build(
      Topics topics,
      Map<String, Deserializer<? extends SpecificRecord>> decoders,
      Serde<TeamInfo> teams,
      long maxAheadMs,
      double gpuMargin,
      int gpuFloor) {
    StreamsBuilder builder = new StreamsBuilder();
    // Every task reads the teams' allocations (GpuGuard), a handful of records.
    builder.globalTable(
        topics.teams.name(),
        Consumed.with(Serdes.String(), teams).withName("intake-teams-source"),
        Materialized.<String, TeamInfo, KeyValueStore<Bytes, byte[]>>as(GpuGuard.TEAMS_STORE)
            .withKeySerde(Serdes.String())
            .withValueSerde(teams));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(GpuGuard.STORE), Serdes.String(), Serdes.Long()));
    builder.stream(
            topics.intakePattern(),
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                // Records keep the timestamps their producers gave them.
                .withTimestampExtractor(new UsePartitionTimeOnInvalidTimestamp())
                .withName("intake-source"))
        .process(
            () -> new IntakeProcessor(topics, decoders, maxAheadMs, gpuMargin, gpuFloor),
            Named.as("intake-check"),
            GpuGuard.STORE)
        .to(
            (key, routed, context) -> routed.topic(),
            Produced.with(Serdes.String(), Routed.SERDE).withName("intake-sink"));
    return builder.build();
  }

  /** The registry deserializers of the attributed topics the intake feeds. */
  static Map<String, Deserializer<? extends SpecificRecord>> decoders(
      Topics topics, Map<String, Object> serdeConfig) {
    Map<String, Deserializer<? extends SpecificRecord>> d = new java.util.HashMap<>();
    for (Topic<String, ? extends SpecificRecord> t :
        java.util.List.of(
            topics.gpuSamples,
            topics.trainingSteps,
            topics.trainingScalars,
            topics.runLifecycle,
            topics.benchmarkResults,
            topics.collectorRejects)) {
      d.put(t.name(), t.valueSerde(serdeConfig).deserializer());
    }
    return d;
  }

  public static KafkaStreams start(KpiStreamsConfig config) {
    Topics topics = config.topics();
    java.util.Properties props = config.streamsProperties(JOB);
    // A team that joins gets its intake topics from provision-kafka; the job sees them within this.
    clientDefault(
        props,
        org.apache.kafka.streams.StreamsConfig::consumerPrefix,
        org.apache.kafka.clients.consumer.ConsumerConfig.METADATA_MAX_AGE_CONFIG,
        60_000);
    // Each record is checked on its own, so there is nothing to order across partitions: a task
    // (one partition number of every team's intake topics, most of them idle) processes what it
    // has rather than waiting on, and re-checking at every record, its empty partitions.
    props.put(org.apache.kafka.streams.StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, -1L);
    // It writes every record it reads, and a commit waits for all of them: compressed, large
    // batches cost the broker far less per record than Kafka Streams' defaults.
    clientDefault(
        props,
        org.apache.kafka.streams.StreamsConfig::producerPrefix,
        ProducerConfig.COMPRESSION_TYPE_CONFIG,
        "lz4");
    clientDefault(
        props,
        org.apache.kafka.streams.StreamsConfig::producerPrefix,
        ProducerConfig.BATCH_SIZE_CONFIG,
        262_144);
    return KpiJobs.start(
        JOB,
        build(
            topics,
            decoders(topics, config.serdeConfig()),
            topics.teams.valueSerde(config.serdeConfig()),
            config.getLong(KpiStreamsConfig.INTAKE_MAX_AHEAD_MS),
            config.getDouble(KpiStreamsConfig.INTAKE_GPU_MARGIN),
            config.getInt(KpiStreamsConfig.INTAKE_GPU_FLOOR)),
        props);
  }

  /**
   * Sets a consumer or producer setting ({@code prefix} says which) unless the operator set it
   * ({@code kafka.<key>}, plain or prefixed).
   */
  private static void clientDefault(
      java.util.Properties props,
      java.util.function.UnaryOperator<String> prefix,
      String key,
      Object value) {
    String prefixed = prefix.apply(key);
    if (!props.containsKey(key) && !props.containsKey(prefixed)) {
      props.put(prefixed, value);
    }
  }

  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    KpiJobs.runUntilShutdown(JOB, start(config), config.getInt(KpiStreamsConfig.METRICS_PORT));
  }
}
