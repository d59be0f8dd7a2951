package kai.telemetry.schemas;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The character set and length of every id the pipeline stores and shows (team, cluster, node, run,
 * GPU, benchmark; not a model name, which lm-evaluation-harness fills with local checkpoint paths
 * and no dashboard filters by). Ids end up in keys, table rows and dashboards' quoted SQL, so none
 * may hold a quote, a backslash, white space or a control character, or run long: collectors refuse
 * such a record with the reason, and the KPI jobs check again, since a team's credentials can write
 * raw records without a collector.
 */
public final class Ids {
  /** Team ids as the program names them: lower case, digits and dashes. */
  public static final Pattern TEAM = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  /**
   * Other ids: letters, digits and {@code . _ - : / @ + =}, starting with a letter or digit (covers
   * GPU and MIG UUIDs, host names, Kubernetes pod names, run names like {@code exp/7}).
   */
  public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,127}");

  /**
   * Names of the scalars a training run logs (validation loss, eval metrics, TensorBoard tags): as
   * ids, plus spaces, parentheses and {@code %}, which trainers use ({@code lm loss}, {@code
   * iteration-time}, {@code Loss/val (ema)}); at most 128.
   */
  public static final Pattern SCALAR_NAME =
      Pattern.compile("[A-Za-z0-9_][A-Za-z0-9 ._:/@+=()%-]{0,127}");

  /** Column (and field) names that hold ids wherever they appear: checked when stored. */
  public static final java.util.Set<String> ID_FIELDS =
      java.util.Set.of(
          "cluster",
          "node",
          "gpu_uuid",
          "run_id",
          "benchmark",
          "k8s_namespace",
          "k8s_pod",
          "k8s_container",
          "pci_bus_id",
          "driver_version");

  private Ids() {}

  /**
   * What is wrong with {@code value} in field {@code field} if the field holds an id ({@code team}
   * or one of {@link #ID_FIELDS}); null when it is fine or not an id field. Null and empty values
   * of optional fields pass.
   */
  public static String problem(String field, String value) {
    if (value == null || value.isEmpty() && !field.equals("team")) {
      return null;
    }
    if (field.equals("team")) {
      return isTeam(value) ? null : field + " " + shown(value) + " is not a team id";
    }
    if (ID_FIELDS.contains(field) && !isId(value)) {
      return field + " " + shown(value) + " is not an id";
    }
    return null;
  }

  /** Adds to {@code why} what is wrong with team id {@code value}, if anything. */
  public static void team(List<String> why, String value) {
    if (!isTeam(value)) {
      why.add(
          "team "
              + shown(value)
              + " is not an id (lower-case letters, digits and dashes, at most 63)");
    }
  }

  /** Adds to {@code why} what is wrong with id {@code value} named {@code field}, if anything. */
  public static void id(List<String> why, String field, String value) {
    if (!isId(value)) {
      why.add(
          field
              + " "
              + shown(value)
              + " is not an id (letters, digits and . _ - : / @ + =, at most 128)");
    }
  }

  /** As {@link #id}, for an id that may be absent. */
  public static void optionalId(List<String> why, String field, String value) {
    if (value != null && !value.isEmpty()) {
      id(why, field, value);
    }
  }

  /** Adds to {@code why} what is wrong with scalar name {@code value}, if anything. */
  public static void scalarName(List<String> why, String value) {
    if (value == null || !SCALAR_NAME.matcher(value).matches() || value.endsWith(" ")) {
      why.add(
          "scalar name "
              + shown(value)
              + " is not a name (letters, digits, spaces and . _ - : / @ + = ( ) %, at most 128)");
    }
  }

  /** True when {@code value} is a team id ({@link #TEAM}); no allocation, for hot paths. */
  public static boolean isTeam(String value) {
    int n = value == null ? 0 : value.length();
    if (n == 0 || n > 63) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0);
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** True when {@code value} is an id ({@link #ID}); no allocation, for hot paths. */
  public static boolean isId(String value) {
    int n = value == null ? 0 : value.length();
    if (n == 0 || n > 128) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || ".:_/@+=-".indexOf(c) < 0)) {
        return false;
      }
    }
    return true;
  }

  /** The value as a reason may show it: at most 40 characters, control characters escaped. */
  /** {@code value} quoted for a message: control characters escaped, at most 40 shown. */
  public static String shown(String value) {
    if (value == null) {
      return "(none)";
    }
    StringBuilder b = new StringBuilder("'");
    int n = Math.min(value.length(), 40);
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    b.append(value.length() > 40 ? "...' (" + value.length() + " characters)" : "'");
    return b.toString();
  }
}
