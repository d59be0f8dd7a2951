package kai.telemetry.producers.simulator;

import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the GPU telemetry simulator. */
public final class SimulatorConfig extends AbstractConfig {
  public static final String PROGRAM_FILE = "simulator.program.file";
  public static final String GPUS_PER_TEAM = "simulator.gpus.per.team";
  public static final String INTERVAL_MS = "simulator.interval.ms";
  public static final String SEED = "simulator.seed";
  public static final String MODE = "simulator.mode";
  public static final String BACKFILL_MINUTES = "simulator.backfill.minutes";
  public static final String OVERCLAIM_TEAMS = "simulator.overclaim.teams";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              PROGRAM_FILE,
              Type.STRING,
              "default",
              Importance.MEDIUM,
              "Program file listing the teams (JSON); 'default' is the bundled 2025-09 launch state.")
          .define(
              GPUS_PER_TEAM,
              Type.INT,
              16,
              Range.between(1, 100_000),
              Importance.HIGH,
              "GPUs simulated per team (capped at the team's allocation).")
          .define(
              INTERVAL_MS,
              Type.LONG,
              5_000L,
              Range.between(100, 3_600_000),
              Importance.HIGH,
              "Sampling interval per GPU in ms (dcgm-exporter's default is 30000).")
          .define(
              OVERCLAIM_TEAMS,
              Type.LIST,
              "",
              Importance.LOW,
              "Teams whose simulated runs claim three times the throughput their declared GPUs"
                  + " can compute (MFU 1.2): a demonstration of the IMPLAUSIBLE_COMPUTE alert.")
          .define(
              SEED,
              Type.LONG,
              42L,
              Importance.MEDIUM,
              "Random seed; the same seed gives the same samples.")
          .define(
              MODE,
              Type.STRING,
              "realtime",
              ConfigDef.ValidString.in("realtime", "backfill"),
              Importance.HIGH,
              "realtime: one tick per interval stamped now, until stopped. backfill: the last N"
                  + " minutes as fast as possible, then exit.")
          .define(
              BACKFILL_MINUTES,
              Type.INT,
              60,
              Range.between(1, 60 * 24 * 90),
              Importance.MEDIUM,
              "Minutes of history to generate in backfill mode.");

  public SimulatorConfig(Map<String, ?> values) {
    super(DEF, values, false);
  }

  public static SimulatorConfig fromArgs(String[] args) {
    return new SimulatorConfig(ConfigLoader.load(DEF, args, System.getenv()));
  }

  /** Producer settings: idempotent, acks=all, compressed, batched. */
  public Map<String, Object> producerConfig() {
    return KafkaClients.of(this).producer("kai-simulator");
  }

  public Map<String, Object> serdeConfig() {
    return CommonSettings.serdeConfig(this);
  }
}
