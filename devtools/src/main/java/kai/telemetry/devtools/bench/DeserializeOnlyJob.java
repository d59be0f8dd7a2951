package kai.telemetry.devtools.bench;

import kai.telemetry.events.GpuSample;
import kai.telemetry.schemas.Topic;
import kai.telemetry.streams.KpiJobs;
import kai.telemetry.streams.KpiStreamsConfig;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;

/**
 * The floor of any KPI job, run by the KPI benchmark in a JVM of its own: Kafka Streams that only
 * deserializes the GPU samples topic, under the KPI jobs' settings (same arguments as they take).
 */
public final class DeserializeOnlyJob {
  public static final String JOB = "floor";

  private DeserializeOnlyJob() {}

  public static void main(String[] args) {
    KpiStreamsConfig config = KpiStreamsConfig.fromArgs(args);
    Topic<String, GpuSample> topic = config.topics().gpuSamples;
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(
            topic.name(),
            Consumed.with(
                topic.keySerde(config.serdeConfig()), topic.valueSerde(config.serdeConfig())))
        .foreach((k, v) -> {});
    KpiJobs.runUntilShutdown(
        JOB,
        KpiJobs.start(JOB, builder.build(), config.streamsProperties(JOB)),
        config.getInt(KpiStreamsConfig.METRICS_PORT));
  }
}
