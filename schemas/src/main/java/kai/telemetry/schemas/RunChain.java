package kai.telemetry.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import kai.telemetry.events.ModelSpec;
import kai.telemetry.events.RunLifecycle;
import kai.telemetry.events.RunProvenance;
import kai.telemetry.events.ThirdPartyComponent;

/**
 * The tamper-evident record of a run: each lifecycle event carries the hash of the run's previous
 * event ({@code prev_hash}) and its own ({@code event_hash}), a SHA-256 over its canonical form,
 * {@code prev_hash} included. Changing, removing or reordering an event breaks the chain at that
 * event, which {@link #verify} names. The canonical form is built from the fields by the names of
 * their ClickHouse columns, so the chain is checked the same way from the raw topic and from the
 * table: version line, then one line per field in {@link #FIELDS} order, {@code name=length:value}
 * or {@code name=-} for a null; third-party components as name, source, license and hash joined by
 * U+001F, components by U+001E.
 */
public final class RunChain {
  /** The canonical form's version: a later one must keep verifying events hashed under this. */
  public static final String VERSION = "kai-run-event/1";

  /** The fields hashed, in order, by their column names. */
  public static final List<String> FIELDS =
      List.of(
          "team",
          "run_id",
          "ts_ms",
          "kind",
          "step",
          "reason",
          "spec_model_name",
          "spec_parameters",
          "spec_layers",
          "spec_heads",
          "spec_head_dim",
          "spec_seq_len",
          "spec_planned_tokens",
          "spec_gpu_count",
          "spec_gpu_type",
          "checkpoint_hash",
          "provenance_init",
          "provenance_base_model",
          "provenance_base_model_hash",
          "provenance_tokenizer",
          "provenance_data_mixture_id",
          "provenance_components",
          "prev_hash");

  private RunChain() {}

  /** Where a chain breaks: the event's position (0-based, in the order given) and why. */
  public record Break(int index, String problem) {}

  /** {@code event} with {@code prevHash} (null for a run's first event) and its own hash set. */
  public static RunLifecycle seal(RunLifecycle event, String prevHash) {
    RunLifecycle sealed =
        RunLifecycle.newBuilder(event).setPrevHash(prevHash).setEventHash(null).build();
    sealed.setEventHash(hash(fields(sealed)));
    return sealed;
  }

  /** The hashed fields of {@code e}, by column name (nulls kept as null). */
  public static Map<String, String> fields(RunLifecycle e) {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("team", e.getTeam());
    f.put("run_id", e.getRunId());
    f.put("ts_ms", Long.toString(e.getTsMs()));
    f.put("kind", e.getKind().name());
    f.put("step", e.getStep() == null ? null : e.getStep().toString());
    f.put("reason", e.getReason());
    ModelSpec s = e.getSpec();
    f.put("spec_model_name", s == null ? null : s.getModelName());
    f.put("spec_parameters", s == null ? null : Long.toString(s.getParameters()));
    f.put("spec_layers", s == null ? null : Integer.toString(s.getLayers()));
    f.put("spec_heads", s == null ? null : Integer.toString(s.getHeads()));
    f.put("spec_head_dim", s == null ? null : Integer.toString(s.getHeadDim()));
    f.put("spec_seq_len", s == null ? null : Integer.toString(s.getSeqLen()));
    f.put("spec_planned_tokens", s == null ? null : Long.toString(s.getPlannedTokens()));
    f.put("spec_gpu_count", s == null ? null : Integer.toString(s.getGpuCount()));
    f.put("spec_gpu_type", s == null ? null : s.getGpuType());
    f.put("checkpoint_hash", e.getCheckpointHash());
    RunProvenance p = e.getProvenance();
    f.put("provenance_init", p == null ? null : p.getInit());
    f.put("provenance_base_model", p == null ? null : p.getBaseModel());
    f.put("provenance_base_model_hash", p == null ? null : p.getBaseModelHash());
    f.put("provenance_tokenizer", p == null ? null : p.getTokenizer());
    f.put("provenance_data_mixture_id", p == null ? null : p.getDataMixtureId());
    List<List<String>> components = new ArrayList<>();
    if (p != null) {
      for (ThirdPartyComponent c : p.getComponents()) {
        components.add(List.of(c.getName(), c.getSource(), c.getLicense(), c.getHash()));
      }
    }
    f.put("provenance_components", p == null ? null : components(components));
    f.put("prev_hash", e.getPrevHash());
    return f;
  }

  /** Components (name, source, license, hash each) in their canonical form. */
  public static String components(List<List<String>> components) {
    List<String> each = new ArrayList<>();
    for (List<String> c : components) {
      each.add(String.join("\u001f", c));
    }
    return String.join("\u001e", each);
  }

  /** The hash of an event whose hashed fields are {@code fields} (missing names count as null). */
  public static String hash(Map<String, String> fields) {
    StringBuilder canonical = new StringBuilder(VERSION).append('\n');
    for (String name : FIELDS) {
      String v = fields.get(name);
      canonical.append(name).append('=');
      if (v == null) {
        canonical.append('-');
      } else {
        canonical.append(v.length()).append(':').append(v);
      }
      canonical.append('\n');
    }
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256")
              .digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
      return "sha256:" + HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  /**
   * Checks one run's events, in the order they were recorded (offsets of the raw topic, or time in
   * the table), each given by its hashed fields plus {@code event_hash}; returns the first break.
   * An event breaks the chain when its content does not match its own hash (it was changed), or
   * when it does not name the event before it as its predecessor (an event between them was
   * removed, or the two were reordered); the first event must name none. Leading events without
   * hashes (recorded before chains) are passed over; an unhashed event after the chain began breaks
   * it.
   */
  public static Optional<Break> verify(List<Map<String, String>> events) {
    String previous = null;
    // A run begun before chains: its first events carry no hashes and are not part of the chain,
    // which starts at the first event that has one (and names no predecessor).
    int first = 0;
    while (first < events.size() && events.get(first).get("event_hash") == null) {
      first++;
    }
    for (int i = first; i < events.size(); i++) {
      Map<String, String> e = events.get(i);
      String recorded = e.get("event_hash");
      if (recorded == null) {
        return Optional.of(new Break(i, describe(i, e) + " carries no event_hash"));
      }
      if (!recorded.equals(hash(e))) {
        return Optional.of(
            new Break(i, describe(i, e) + " was changed: its content does not match its hash"));
      }
      String prev = e.get("prev_hash");
      if (i == first ? prev != null : !recorded(previous).equals(prev == null ? "" : prev)) {
        return Optional.of(
            new Break(
                i,
                describe(i, e)
                    + (i == first
                        ? " names a predecessor, but no earlier event of the run is recorded:"
                            + " the run's first events were removed"
                        : " does not follow event #"
                            + i
                            + ": an event between them was removed, or they were reordered")));
      }
      previous = recorded;
    }
    return Optional.empty();
  }

  private static String recorded(String hash) {
    return hash == null ? "" : hash;
  }

  private static String describe(int i, Map<String, String> e) {
    return "event #"
        + (i + 1)
        + " ("
        + e.get("kind")
        + " at ts_ms "
        + e.get("ts_ms")
        + (e.get("step") == null ? "" : ", step " + e.get("step"))
        + ")";
  }
}
