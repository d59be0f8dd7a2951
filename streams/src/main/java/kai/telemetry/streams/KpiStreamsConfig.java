package kai.telemetry.streams;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.schemas.Topics;
import kai.telemetry.streams.support.EventTimeExtractor;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the KPI streams jobs. Each job runs as its own Kafka Streams application, with id
 * {@code application.id.prefix + "-" + job}, where the job is named as its command.
 */
public final class KpiStreamsConfig extends AbstractConfig {
  public static final String APPLICATION_ID_PREFIX = "application.id.prefix";
  public static final String STATE_DIR = "state.dir";
  public static final String WINDOW_SIZE_MS = "kpi.window.size.ms";
  public static final String GRACE_MS = "kpi.grace.ms";
  public static final String STATE_EVICT_AFTER_MS = "kpi.state.evict.after.ms";
  public static final String PROCESSING_GUARANTEE = "processing.guarantee";
  public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
  public static final String LOSS_EMA_WEIGHT = "kpi.loss.ema.weight";
  public static final String SPIKE_THRESHOLD = "kpi.spike.threshold";
  public static final String SPIKE_BASELINE_ALPHA = "kpi.spike.baseline.alpha";
  public static final String SPIKE_WARMUP_STEPS = "kpi.spike.warmup.steps";
  public static final String SPIKE_REBASELINE_STEPS = "kpi.spike.rebaseline.steps";
  public static final String ALERT_STALL_MS = "alert.stalled.run.ms";
  public static final String ALERT_SILENCE_MS = "alert.telemetry.silence.ms";
  public static final String ALERT_IDLE_UTIL_PCT = "alert.idle.fleet.util.pct";
  public static final String ALERT_IDLE_MINUTES = "alert.idle.fleet.minutes";
  public static final String ALERT_CHECK_MS = "alert.check.interval.ms";
  public static final String ALERT_QUARANTINE_QUIET_MS = "alert.quarantine.quiet.ms";
  public static final String PLAUSIBILITY_MFU_MAX = "alert.plausibility.mfu.max";
  public static final String GPU_COUNT_TOLERANCE = "alert.gpu.count.tolerance";
  public static final String INTAKE_MAX_AHEAD_MS = "intake.max.ahead.ms";
  public static final String INTAKE_GPU_MARGIN = "intake.gpu.margin";
  public static final String INTAKE_GPU_FLOOR = "intake.gpu.floor";
  public static final String METRICS_PORT = "metrics.port";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              APPLICATION_ID_PREFIX,
              Type.STRING,
              "kai",
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Prefix of the jobs' Kafka Streams application ids: a job's id is prefix-command"
                  + " (e.g. kai-fleet-kpi-job); it names its consumer group and internal topics.")
          .define(
              STATE_DIR,
              Type.STRING,
              "state",
              Importance.MEDIUM,
              "Folder for the job's local state stores (kept across restarts).")
          .define(
              WINDOW_SIZE_MS,
              Type.LONG,
              60_000L,
              Range.between(1_000, 3_600_000),
              Importance.MEDIUM,
              "Window size in ms (the fleet KPI is per minute).")
          .define(
              GRACE_MS,
              Type.LONG,
              120_000L,
              Range.between(0, 7 * 24 * 3_600_000L),
              Importance.HIGH,
              "How long after a window ends late samples are still counted into it.")
          .define(
              STATE_EVICT_AFTER_MS,
              Type.LONG,
              86_400_000L,
              Range.between(3_600_000L, 365L * 24 * 3_600_000L),
              Importance.MEDIUM,
              "A GPU, cluster or run unseen for this long is forgotten: the fleet job drops the"
                  + " GPU's meter (by event time), the alerts job the cluster's or run's watch (by"
                  + " wall-clock time), resolving its silence or stall alert. Bounds state by what"
                  + " is alive, not by every id ever seen.")
          .define(
              METRICS_PORT,
              Type.INT,
              -1,
              Range.between(-1, 65_535),
              Importance.MEDIUM,
              "Port of the job's Prometheus endpoint (/metrics: consumer lag per input partition,"
                  + " the age of records reaching each output node, late drops per team); -1 off,"
                  + " 0 any free port.")
          .define(
              PROCESSING_GUARANTEE,
              Type.STRING,
              StreamsConfig.EXACTLY_ONCE_V2,
              ConfigDef.ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
              Importance.HIGH,
              "exactly_once_v2 (default): each sample counted once across restarts.")
          .define(
              COMMIT_INTERVAL_MS,
              Type.LONG,
              250L,
              Range.between(10, 60_000),
              Importance.LOW,
              "How often results are committed (and so become visible to read_committed readers):"
                  + " each job on the KPI path waits up to this long, so it sets the live numbers'"
                  + " delay; each commit costs a transaction and a producer flush per task.")
          .define(
              LOSS_EMA_WEIGHT,
              Type.DOUBLE,
              0.9,
              Range.between(0.0, 0.999),
              Importance.MEDIUM,
              "Weight w of the debiased EMA of the loss (TensorBoard's smoothing).")
          .define(
              SPIKE_THRESHOLD,
              Type.DOUBLE,
              0.2,
              Range.between(0.01, 100.0),
              Importance.MEDIUM,
              "A loss more than this fraction above the EWMA baseline is a spike.")
          .define(
              SPIKE_BASELINE_ALPHA,
              Type.DOUBLE,
              0.1,
              Range.between(0.001, 1.0),
              Importance.LOW,
              "EWMA weight of the newest non-spike loss in the spike baseline.")
          .define(
              SPIKE_WARMUP_STEPS,
              Type.INT,
              10,
              Range.atLeast(0),
              Importance.LOW,
              "Finite losses the baseline needs before spikes are flagged.")
          .define(
              SPIKE_REBASELINE_STEPS,
              Type.INT,
              20,
              Range.between(1, 1_000_000),
              Importance.LOW,
              "Consecutive spike steps after which the loss's new level is the baseline (a"
                  + " sustained shift is not a spike at every later step).")
          .define(
              ALERT_STALL_MS,
              Type.LONG,
              10 * 60_000L,
              Range.atLeast(1_000),
              Importance.MEDIUM,
              "A running run with no new step for this long (wall clock) is stalled.")
          .define(
              ALERT_SILENCE_MS,
              Type.LONG,
              5 * 60_000L,
              Range.atLeast(1_000),
              Importance.MEDIUM,
              "A cluster with no GPU sample for this long (wall clock) is silent.")
          .define(
              ALERT_IDLE_UTIL_PCT,
              Type.DOUBLE,
              10.0,
              Range.between(0.0, 100.0),
              Importance.MEDIUM,
              "Idle fleet: a team's mean utilization (%) under this, for alert.idle.fleet.minutes minutes.")
          .define(
              ALERT_IDLE_MINUTES,
              Type.INT,
              10,
              Range.between(1, 24 * 60),
              Importance.MEDIUM,
              "Idle fleet: consecutive minute windows under alert.idle.fleet.util.pct.")
          .define(
              ALERT_CHECK_MS,
              Type.LONG,
              10_000L,
              Range.between(100, 600_000),
              Importance.LOW,
              "How often wall-clock conditions (stalls, silence) are checked.")
          .define(
              ALERT_QUARANTINE_QUIET_MS,
              Type.LONG,
              3_600_000L,
              Range.between(1_000, 30L * 24 * 3_600_000),
              Importance.MEDIUM,
              "A QUARANTINE alert (a team's records held back by the intake) resolves after this"
                  + " long (wall clock) without another record of that team and cause held back.")
          .define(
              PLAUSIBILITY_MFU_MAX,
              Type.DOUBLE,
              1.0,
              Range.between(0.05, 10.0),
              Importance.MEDIUM,
              "IMPLAUSIBLE_COMPUTE opens when a run's claimed tokens/s imply an MFU above this on"
                  + " its declared GPUs: 1 is more than the GPUs can compute at peak; published"
                  + " large runs reach 0.38-0.46, so 0.75 flags the merely implausible too.")
          .define(
              GPU_COUNT_TOLERANCE,
              Type.DOUBLE,
              0.1,
              Range.between(0.0, 10.0),
              Importance.MEDIUM,
              "GPU_COUNT_MISMATCH opens when the GPUs seen working for a run in a minute (samples"
                  + " carrying its run id) differ from its declared count by more than this"
                  + " fraction of it.")
          .define(
              INTAKE_MAX_AHEAD_MS,
              Type.LONG,
              60_000L,
              Range.between(0, 3_600_000),
              Importance.MEDIUM,
              "The intake quarantines a record whose event time is further ahead of its clock than"
                  + " this: keep it below kpi.grace.ms, or one sender's fast clock makes other"
                  + " teams' on-time records late.")
          .define(
              INTAKE_GPU_MARGIN,
              Type.DOUBLE,
              1.5,
              Range.between(1.0, 100.0),
              Importance.MEDIUM,
              "The intake takes at most a team's GPU allocation times this many distinct GPUs per"
                  + " minute (per intake partition); samples of further GPUs are quarantined"
                  + " (TOO_MANY_GPUS), so a flood of made-up GPU ids cannot grow the fleet job's"
                  + " state for every team.")
          .define(
              INTAKE_GPU_FLOOR,
              Type.INT,
              64,
              Range.between(1, 1_000_000),
              Importance.LOW,
              "The least number of distinct GPUs per minute the intake takes from a team, whatever"
                  + " its allocation (and for a team not yet in the teams reference).");

  public KpiStreamsConfig(Map<String, ?> values) {
    super(DEF, values, false);
    if (getLong(GRACE_MS) > getLong(WINDOW_SIZE_MS) * 60 * 24 * 7) {
      throw new ConfigException(GRACE_MS, getLong(GRACE_MS), "grace longer than a week of windows");
    }
  }

  public static KpiStreamsConfig fromArgs(String[] args) {
    return new KpiStreamsConfig(ConfigLoader.load(DEF, args, System.getenv()));
  }

  public Topics topics() {
    return CommonSettings.topics(this);
  }

  public Map<String, Object> serdeConfig() {
    return CommonSettings.serdeConfig(this);
  }

  /** The Kafka Streams application id of job {@code job}. */
  public String applicationId(String job) {
    return getString(APPLICATION_ID_PREFIX) + "-" + job;
  }

  /** Streams settings of job {@code job}. */
  public Properties streamsProperties(String job) {
    Map<String, Object> p = new HashMap<>();
    p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
    p.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, EventTimeExtractor.class);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE));
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS));
    // Undecodable records go to the dead-letter topic with the reason, and processing goes on; a
    // registry outage stops the job instead, so nothing is skipped for good.
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        kai.telemetry.streams.support.StopOnRegistryOutage.class);
    // Global tables (the teams reference) get the same processing-error handling as the rest, as
    // Kafka 5.0 will do by default.
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(
        StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
        topics().streamsDeadLetters.name());
    p.putAll(serdeConfig()); // for any serde Kafka Streams configures itself
    return KafkaClients.of(this).streams(applicationId(job), p);
  }
}
