package kai.telemetry.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.GpuSample;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.RunProvenance;
import kai.telemetry.events.ThirdPartyComponent;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;

/**
 * The plausibility of a record's values (ranges, finite numbers, event time, ids): the collectors
 * apply it before publishing (a record failing it goes to the rejects topic with every reason), and
 * the intake job again, since a team's credentials can write records without a collector.
 */
public final class Validation {
  /**
   * Clocks drift; anything further ahead than this is a wrong clock or a wrong unit. Well below the
   * KPI jobs' grace period (2 minutes by default): a record stamped further ahead would move its
   * partition's event time on and make other teams' on-time records there late.
   */
  public static final Duration MAX_FUTURE = Duration.ofSeconds(60);

  /** Before the program existed: a wrong unit (seconds read as ms) or a zero timestamp. */
  public static final long MIN_TS_MS = 1_577_836_800_000L; // 2020-01-01

  private Validation() {}

  public static List<String> check(GpuSample s, long nowMs) {
    List<String> why = new ArrayList<>();
    time(why, s.getTsMs(), nowMs);
    range(why, "utilization_pct", s.getUtilizationPct(), 0, 100);
    range(why, "mem_copy_util_pct", s.getMemCopyUtilPct(), 0, 100);
    nonNegative(why, "power_w", s.getPowerW());
    nonNegative(why, "mem_used_mib", s.getMemUsedMib());
    nonNegative(why, "mem_total_mib", s.getMemTotalMib());
    nonNegative(why, "mem_free_mib", s.getMemFreeMib());
    range(why, "temperature_c", s.getTemperatureC(), -40, 150);
    range(why, "memory_temperature_c", s.getMemoryTemperatureC(), -40, 150);
    range(why, "gr_engine_active", s.getGrEngineActive(), 0, 1);
    range(why, "sm_active", s.getSmActive(), 0, 1);
    range(why, "tensor_active", s.getTensorActive(), 0, 1);
    range(why, "dram_active", s.getDramActive(), 0, 1);
    nonNegative(why, "sm_clock_mhz", s.getSmClockMhz());
    if (s.getEnergyMj() != null && s.getEnergyMj() < 0) {
      why.add("energy_mj " + s.getEnergyMj() + " is negative");
    }
    Ids.team(why, s.getTeam());
    Ids.id(why, "cluster", s.getCluster());
    Ids.id(why, "node", s.getNode());
    Ids.id(why, "gpu_uuid", s.getGpuUuid());
    Ids.optionalId(why, "run_id", s.getRunId());
    Ids.optionalId(why, "k8s_namespace", s.getK8sNamespace());
    Ids.optionalId(why, "k8s_pod", s.getK8sPod());
    Ids.optionalId(why, "k8s_container", s.getK8sContainer());
    Ids.optionalId(why, "pci_bus_id", s.getPciBusId());
    Ids.optionalId(why, "driver_version", s.getDriverVersion());
    return why;
  }

  public static List<String> check(TrainingStep s, long nowMs) {
    List<String> why = new ArrayList<>();
    time(why, s.getTsMs(), nowMs);
    if (s.getStep() < 0) {
      why.add("step " + s.getStep() + " is negative");
    }
    if (s.getTokens() != null && s.getTokens() < 0) {
      why.add("tokens " + s.getTokens() + " is negative");
    }
    nonNegative(why, "learning_rate", s.getLearningRate());
    nonNegative(why, "tokens_per_sec", s.getTokensPerSec());
    // loss and grad_norm may be NaN or Inf: that is the divergence signal, not bad input.
    Ids.team(why, s.getTeam());
    Ids.id(why, "run_id", s.getRunId());
    return why;
  }

  public static List<String> check(TrainingScalar s, long nowMs) {
    List<String> why = new ArrayList<>();
    time(why, s.getTsMs(), nowMs);
    if (s.getStep() < 0) {
      why.add("step " + s.getStep() + " is negative");
    }
    // The value may be NaN or Inf, as a loss may: a diverged validation loss is a signal.
    Ids.team(why, s.getTeam());
    Ids.id(why, "run_id", s.getRunId());
    Ids.scalarName(why, s.getName());
    return why;
  }

  public static List<String> check(BenchmarkResult r, long nowMs) {
    List<String> why = new ArrayList<>();
    time(why, r.getTsMs(), nowMs);
    range(why, "score", r.getScore(), 0, r.getScaleMax());
    Ids.team(why, r.getTeam());
    Ids.id(why, "benchmark", r.getBenchmark());
    return why;
  }

  /** Longest free text a run declares (names, sources, licenses, a reason). */
  public static final int MAX_DECLARED_TEXT = 512;

  /** Most third-party components a run declares. */
  public static final int MAX_COMPONENTS = 64;

  private static final java.util.regex.Pattern SHA256 =
      java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");

  /**
   * A run lifecycle event: its time, ids, step, the spec's numbers (positive) and names, the
   * provenance (init scratch or base_model, text and component counts capped) and the chain's
   * hashes (sha256:<64 hex>), so that no team can land a spec that breaks the KPIs or a declaration
   * of unbounded size.
   */
  public static List<String> check(RunLifecycle l, long nowMs) {
    List<String> why = new ArrayList<>();
    time(why, l.getTsMs(), nowMs);
    Ids.team(why, l.getTeam());
    Ids.id(why, "run_id", l.getRunId());
    if (l.getStep() != null && l.getStep() < 0) {
      why.add("step " + l.getStep() + " is negative");
    }
    text(why, "reason", l.getReason());
    hash(why, "checkpoint_hash", l.getCheckpointHash());
    hash(why, "prev_hash", l.getPrevHash());
    hash(why, "event_hash", l.getEventHash());
    ModelSpec s = l.getSpec();
    if (s != null) {
      text(why, "spec.model_name", s.getModelName());
      text(why, "spec.gpu_type", s.getGpuType());
      positive(why, "spec.parameters", s.getParameters());
      positive(why, "spec.layers", s.getLayers());
      positive(why, "spec.heads", s.getHeads());
      positive(why, "spec.head_dim", s.getHeadDim());
      positive(why, "spec.seq_len", s.getSeqLen());
      positive(why, "spec.planned_tokens", s.getPlannedTokens());
      positive(why, "spec.gpu_count", s.getGpuCount());
    }
    RunProvenance p = l.getProvenance();
    if (p != null) {
      if (!"scratch".equals(p.getInit()) && !"base_model".equals(p.getInit())) {
        why.add("provenance.init " + Ids.shown(p.getInit()) + " is not scratch or base_model");
      }
      if ("base_model".equals(p.getInit())
          && (p.getBaseModel() == null || p.getBaseModelHash() == null)) {
        why.add("a run from a base model names it and its hash (base_model, base_model_hash)");
      }
      text(why, "provenance.base_model", p.getBaseModel());
      text(why, "provenance.base_model_hash", p.getBaseModelHash());
      text(why, "provenance.tokenizer", p.getTokenizer());
      text(why, "provenance.data_mixture_id", p.getDataMixtureId());
      if (p.getComponents().size() > MAX_COMPONENTS) {
        why.add(
            p.getComponents().size() + " third-party components is more than " + MAX_COMPONENTS);
      } else {
        for (ThirdPartyComponent c : p.getComponents()) {
          text(why, "component name", c.getName());
          text(why, "component source", c.getSource());
          text(why, "component license", c.getLicense());
          text(why, "component hash", c.getHash());
        }
      }
    }
    return why;
  }

  private static void text(List<String> why, String field, CharSequence v) {
    if (v != null && (v.length() == 0 || v.length() > MAX_DECLARED_TEXT)) {
      why.add(field + " must be 1 to " + MAX_DECLARED_TEXT + " characters, got " + v.length());
    }
  }

  private static void hash(List<String> why, String field, CharSequence v) {
    if (v != null && !SHA256.matcher(v).matches()) {
      why.add(field + " " + Ids.shown(v.toString()) + " is not sha256:<64 hex>");
    }
  }

  private static void positive(List<String> why, String field, long v) {
    if (v <= 0) {
      why.add(field + " " + v + " is not positive");
    }
  }

  private static void time(List<String> why, long tsMs, long nowMs) {
    if (tsMs > nowMs + MAX_FUTURE.toMillis()) {
      why.add("event time " + java.time.Instant.ofEpochMilli(tsMs) + " is in the future");
    } else if (tsMs < MIN_TS_MS) {
      why.add(
          "event time " + java.time.Instant.ofEpochMilli(tsMs) + " is before 2020 (wrong unit?)");
    }
  }

  private static void range(List<String> why, String field, Double v, double min, double max) {
    if (finite(why, field, v) && (v < min || v > max)) {
      why.add(field + " " + v + " is outside " + fmt(min) + ".." + fmt(max));
    }
  }

  private static void nonNegative(List<String> why, String field, Double v) {
    if (finite(why, field, v) && v < 0) {
      why.add(field + " " + v + " is negative");
    }
  }

  /**
   * False, with the reason, for NaN or an infinity (a reading no GPU gives: a broken exporter or
   * parser), which would otherwise land and poison every mean; true for a number; false for none.
   */
  private static boolean finite(List<String> why, String field, Double v) {
    if (v == null) {
      return false;
    }
    if (!Double.isFinite(v)) {
      why.add(field + " " + v + " is not a finite number");
      return false;
    }
    return true;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
