package kai.telemetry.producers.collect;

import java.util.Map;
import kai.telemetry.config.CommonSettings;
import kai.telemetry.config.ConfigLoader;
import kai.telemetry.config.KafkaClients;
import kai.telemetry.schemas.Topics;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/** Settings of the collectors (dcgm scraper, nvidia-smi reader, log follower, lm-eval importer). */
public final class CollectorConfig extends AbstractConfig {
  public static final String TEAM = "collector.team";
  public static final String CLUSTER = "collector.cluster";
  public static final String PROGRAM_FILE = "program.file";

  public static final String DCGM_URLS = "dcgm.urls";
  public static final String DCGM_INTERVAL_MS = "dcgm.interval.ms";
  public static final String DCGM_RUN_ID_LABEL = "dcgm.run.id.label";
  public static final String DCGM_ROUNDS = "dcgm.rounds";
  public static final String DCGM_TIMEOUT_MS = "dcgm.timeout.ms";

  public static final String SMI_INPUT = "nvidia.smi.input";
  public static final String SMI_COLUMNS = "nvidia.smi.columns";
  public static final String SMI_NODE = "nvidia.smi.node";
  public static final String SMI_TIMEZONE = "nvidia.smi.timezone";
  public static final String SMI_GPUS = "nvidia.smi.gpus";

  public static final String LOG_FILE = "log.file";
  public static final String LOG_FORMAT = "log.format";
  public static final String LOG_RUN_ID = "log.run.id";
  public static final String LOG_SEQ_LEN = "log.seq.len";
  public static final String LOG_POLL_MS = "log.poll.ms";
  public static final String LOG_FOLLOWER_ID = "log.follower.id";
  public static final String LOG_BATCH_LINES = "log.batch.lines";
  public static final String LOG_EXIT_AT_END = "log.exit.at.end";
  public static final String LOG_START_TIME = "log.start.time";
  public static final String LOG_TIMEZONE = "log.timezone";
  public static final String LOG_HF_LOGGING_STEPS = "log.hf.logging.steps";
  public static final String LOG_PATTERN = "log.pattern";
  public static final String LOG_TB_LOSS_TAG = "log.tensorboard.loss.tag";

  public static final String LMEVAL_FILE = "lmeval.file";
  public static final String LMEVAL_MODEL = "lmeval.model";
  public static final String LMEVAL_CHECKPOINT = "lmeval.checkpoint";
  public static final String LMEVAL_EVALUATOR = "lmeval.evaluator";
  public static final String LMEVAL_DATE = "lmeval.date";

  public static final String MAX_LINE_BYTES = "collector.max.line.bytes";

  public static final ConfigDef DEF =
      CommonSettings.define(new ConfigDef())
          .define(
              TEAM,
              Type.STRING,
              ConfigDef.NO_DEFAULT_VALUE,
              new ConfigDef.NonEmptyString(),
              Importance.HIGH,
              "Team id every record is published for (as in the program file).")
          .define(
              MAX_LINE_BYTES,
              Type.INT,
              TextLines.DEFAULT_MAX_LINE_BYTES,
              ConfigDef.Range.between(1024, 64 << 20),
              Importance.LOW,
              "Longest line a collector reads (nvidia-smi CSV, training logs); a longer one is"
                  + " skipped to its end and rejected with its line number.")
          .define(
              CLUSTER,
              Type.STRING,
              "default",
              Importance.MEDIUM,
              "Cluster name the GPUs belong to.")
          .define(
              PROGRAM_FILE,
              Type.STRING,
              "default",
              Importance.LOW,
              "Program file (teams, benchmark catalogue); 'default' is the bundled launch state.")
          .define(
              DCGM_URLS,
              Type.LIST,
              "http://127.0.0.1:9400/metrics",
              Importance.HIGH,
              "dcgm-exporter endpoints to scrape, comma separated.")
          .define(
              DCGM_INTERVAL_MS,
              Type.LONG,
              30_000L,
              Range.between(100, 3_600_000),
              Importance.MEDIUM,
              "Scrape interval (dcgm-exporter collects every 30 s by default).")
          .define(
              DCGM_RUN_ID_LABEL,
              Type.STRING,
              "",
              Importance.LOW,
              "Label whose value is the run id (e.g. a pod label); empty for none.")
          .define(
              DCGM_ROUNDS,
              Type.LONG,
              0L,
              Range.atLeast(0),
              Importance.LOW,
              "Stop after this many scrape rounds; 0 runs until stopped.")
          .define(
              DCGM_TIMEOUT_MS,
              Type.LONG,
              10_000L,
              ConfigDef.Range.between(100, 600_000),
              Importance.MEDIUM,
              "The whole scrape of one endpoint (connect, headers and body) must finish within"
                  + " this, or the endpoint is skipped this round.")
          .define(
              SMI_INPUT,
              Type.STRING,
              "-",
              Importance.HIGH,
              "nvidia-smi CSV to read: a file, or - for standard input (pipe nvidia-smi --query-gpu=... --format=csv -lms N into it).")
          .define(
              SMI_COLUMNS,
              Type.LIST,
              "",
              Importance.LOW,
              "The --query-gpu fields, for output without a header (format=csv,noheader).")
          .define(
              SMI_NODE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Host name of the node (nvidia-smi does not print it); default: this host.")
          .define(
              SMI_TIMEZONE,
              Type.STRING,
              "UTC",
              Importance.LOW,
              "Time zone of nvidia-smi's timestamp column (it prints local time).")
          .define(
              SMI_GPUS,
              Type.INT,
              0,
              ConfigDef.Range.between(0, 1024),
              Importance.LOW,
              "GPUs on the node, for a query without uuid, index or pci.bus_id: row k after a"
                  + " header is GPU k mod this (nvidia-smi prints GPUs in index order each poll);"
                  + " 0 rejects such rows.")
          .define(LOG_FILE, Type.STRING, "", Importance.HIGH, "Training log to follow.")
          .define(
              LOG_FORMAT,
              Type.STRING,
              "jsonl",
              ConfigDef.ValidString.in(
                  "jsonl",
                  "megatron",
                  "nanogpt",
                  "hf-trainer",
                  "pattern",
                  "hf-trainer-state",
                  "megatron-golden",
                  "tensorboard"),
              Importance.HIGH,
              "Lines followed or imported: jsonl, megatron (Megatron-LM and Megatron-DeepSpeed),"
                  + " nanogpt (nanoGPT, modded-nanogpt, llm.c), hf-trainer (the Trainer's console),"
                  + " pattern (log.pattern); whole files, imported only: hf-trainer-state"
                  + " (trainer_state.json), megatron-golden (golden values JSON), tensorboard"
                  + " (event file or directory).")
          .define(
              LOG_RUN_ID,
              Type.STRING,
              "",
              Importance.HIGH,
              "Run id of the steps (a jsonl line's run_id wins).")
          .define(
              LOG_SEQ_LEN,
              Type.INT,
              0,
              Range.atLeast(0),
              Importance.MEDIUM,
              "Sequence length, to turn Megatron's consumed samples into tokens; 0 if unknown.")
          .define(
              LOG_POLL_MS,
              Type.LONG,
              500L,
              Range.between(10, 60_000),
              Importance.LOW,
              "How often to look for new lines.")
          .define(
              LOG_FOLLOWER_ID,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "Identity of this follower (transactional id, position key); default team/run.")
          .define(
              LOG_BATCH_LINES,
              Type.INT,
              1_000,
              Range.between(1, 1_000_000),
              Importance.LOW,
              "Lines per transaction.")
          .define(
              LOG_START_TIME,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "When the run started (ISO-8601 instant, or local date-time in log.timezone): steps of"
                  + " a log without times are stamped from it plus the elapsed time the format"
                  + " reports. Required to import a finished log whose lines carry no time.")
          .define(
              LOG_TIMEZONE,
              Type.STRING,
              "UTC",
              Importance.MEDIUM,
              "Zone of times a log prints without one (Megatron's [YYYY-MM-DD hh:mm:ss] prefix is"
                  + " the node's local time), and of a log.start.time without one, e.g. Asia/Seoul.")
          .define(
              LOG_HF_LOGGING_STEPS,
              Type.INT,
              500,
              Range.between(1, 100_000_000),
              Importance.MEDIUM,
              "The Trainer's logging_steps, for format hf-trainer: its console prints no step, so"
                  + " the n-th training log is step n x this (the Trainer's default is 500).")
          .define(
              LOG_PATTERN,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "For format pattern: a regular expression with named groups step (required), loss,"
                  + " lr, gradnorm, tokens, tps, stepms, ts; other named groups become scalars.")
          .define(
              LOG_TB_LOSS_TAG,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "For format tensorboard: the tag of the training loss; default the first of"
                  + " train/loss, loss, lm loss, train_loss, Loss/train, training_loss found.")
          .define(
              LOG_EXIT_AT_END,
              Type.BOOLEAN,
              false,
              Importance.LOW,
              "Exit when the file has been read to its end (one-shot import).")
          .define(
              LMEVAL_FILE,
              Type.STRING,
              "",
              Importance.HIGH,
              "lm-evaluation-harness results JSON to import.")
          .define(
              LMEVAL_DATE,
              Type.STRING,
              "",
              Importance.MEDIUM,
              "When the evaluation ran (YYYY-MM-DD, UTC, or an ISO-8601 instant), for a results"
                  + " file without a date (older harness versions); a file with one keeps its own.")
          .define(
              LMEVAL_MODEL,
              Type.STRING,
              "",
              Importance.LOW,
              "Model name (default: the file's model_name).")
          .define(
              LMEVAL_CHECKPOINT,
              Type.STRING,
              "",
              Importance.LOW,
              "Checkpoint evaluated (run/step or revision).")
          .define(
              LMEVAL_EVALUATOR,
              Type.STRING,
              "SELF_REPORTED",
              ConfigDef.ValidString.in("SELF_REPORTED", "OFFICIAL"),
              Importance.MEDIUM,
              "OFFICIAL for the program's own evaluations, imported with the program office's"
                  + " credentials; a team's credentials can publish SELF_REPORTED only.");

  public CollectorConfig(Map<String, ?> values) {
    super(DEF, values, false);
  }

  public static CollectorConfig fromArgs(String[] args) {
    return new CollectorConfig(ConfigLoader.load(DEF, args, System.getenv()));
  }

  public Topics topics() {
    return CommonSettings.topics(this);
  }

  /**
   * Whether this collector publishes as the program office (importing official results with its
   * credentials) rather than as a team: its records and rejects go to the attributed topics.
   */
  public boolean publishesAsProgramOffice() {
    return "OFFICIAL".equals(getString(LMEVAL_EVALUATOR));
  }

  public String team() {
    return getString(TEAM);
  }

  public Map<String, Object> serdeConfig() {
    return CommonSettings.serdeConfig(this);
  }

  /** Idempotent, acks=all, compressed, batched; a transactional id turns on transactions. */
  public Map<String, Object> producerConfig(String clientId, String transactionalId) {
    return KafkaClients.of(this)
        .producer(
            clientId,
            transactionalId == null
                ? Map.of()
                : Map.of(
                    ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                    transactionalId,
                    // A follower killed mid-transaction holds back read_committed readers of its
                    // partitions until its successor fences it or this passes: keep it short (a
                    // transaction of a batch of lines takes milliseconds).
                    ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
                    15_000));
  }
}
