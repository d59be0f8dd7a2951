package kai.telemetry.producers.collect;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Counts by kind, for a collector's summary: at most {@value #MAX_KINDS} kinds (hostile input can
 * make every reason different), the rest counted as "other". Thread-safe.
 */
final class Tally {
  static final int MAX_KINDS = 20;
  private final Map<String, Long> counts = new LinkedHashMap<>();

  synchronized void add(String kind, long n) {
    String k = counts.containsKey(kind) || counts.size() < MAX_KINDS ? kind : "other reasons";
    counts.merge(k, n, Long::sum);
  }

  synchronized boolean isEmpty() {
    return counts.isEmpty();
  }

  synchronized Optional<Long> total() {
    return counts.isEmpty()
        ? Optional.empty()
        : Optional.of(counts.values().stream().mapToLong(Long::longValue).sum());
  }

  /** {@code 12 training steps, 3 scalars}. */
  synchronized String inline() {
    List<String> parts = new ArrayList<>();
    counts.forEach((k, n) -> parts.add(n + " " + k));
    return String.join(", ", parts);
  }

  /** One line per kind, most frequent first: {@code <prefix>12 x <kind>}. */
  synchronized List<String> lines(String prefix) {
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> prefix + e.getValue() + " x " + e.getKey())
        .toList();
  }

  /**
   * The kind of a reason: its text with quoted values and numbers replaced, so that the same
   * failure on different lines counts as one kind ({@code line 7 is not valid UTF-8} and {@code
   * line 9 is ...} alike); at most 160 characters.
   */
  static String kind(String reason) {
    String k =
        reason
            .replaceAll("'[^']*'", "'…'")
            .replaceAll("\\[[^\\]]*\\]", "[…]")
            .replaceAll("(?<![A-Za-z0-9_-])[-+]?\\d+(?:[.,:]\\d+)*(?:[eE][-+]?\\d+)?", "N");
    return k.length() > 160 ? k.substring(0, 157) + "..." : k;
  }
}
