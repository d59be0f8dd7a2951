package kai.telemetry.schemas;

import java.util.List;
import java.util.regex.Pattern;
import kai.telemetry.events.GpuSample;
import kai.telemetry.kpis.TeamFleetMinute;

/**
 * The catalogue of every topic in the pipeline: the one place topic names are spelled.
 *
 * <p>A namespace prefix lets several deployments (or test classes) share one cluster without seeing
 * each other's data; production uses the empty prefix.
 */
public final class Topics {

  private static final Pattern VALID_PREFIX = Pattern.compile("[a-zA-Z0-9._-]*");

  /** Raw GPU samples, keyed by GPU UUID so each GPU's samples stay in order. */
  public final Topic<String, GpuSample> gpuSamples;

  /** Per-team fleet KPI per 1-minute window, keyed by team id. */
  public final Topic<String, TeamFleetMinute> teamFleetMinute;

  /** Records the ClickHouse sink could not decode or write: original bytes plus reason headers. */
  public final Topic<byte[], byte[]> sinkDeadLetters;

  /** Samples the KPI jobs could not decode: original bytes plus the error in headers. */
  public final Topic<byte[], byte[]> streamsDeadLetters;

  private final String prefix;

  private Topics(String prefix) {
    if (!VALID_PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException(
          "topic prefix '" + prefix + "' may only contain letters, digits, '.', '_' and '-'");
    }
    this.prefix = prefix;
    gpuSamples =
        new Topic<>(
            prefix + "kai.raw.gpu-samples.v1", Topic.UTF8, Topic.avro(GpuSample.class), 6, false);
    teamFleetMinute =
        new Topic<>(
            prefix + "kai.kpi.team-fleet-1m.v1",
            Topic.UTF8,
            Topic.avro(TeamFleetMinute.class),
            3,
            false);
    sinkDeadLetters =
        new Topic<>(prefix + "kai.dlq.clickhouse-sink.v1", Topic.BYTES, Topic.BYTES, 1, false);
    streamsDeadLetters =
        new Topic<>(prefix + "kai.dlq.kpi-streams.v1", Topic.BYTES, Topic.BYTES, 1, false);
  }

  /** The production catalogue. */
  public static Topics defaults() {
    return new Topics("");
  }

  /** A catalogue whose every name starts with {@code prefix}. */
  public static Topics withPrefix(String prefix) {
    return new Topics(prefix);
  }

  public String prefix() {
    return prefix;
  }

  /** Every topic, for creation at start-up. */
  public List<Topic<?, ?>> all() {
    return List.of(gpuSamples, teamFleetMinute, sinkDeadLetters, streamsDeadLetters);
  }
}
