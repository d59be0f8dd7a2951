package kai.telemetry.schemas;

import java.util.ArrayList;
import java.util.List;

/**
 * Composite keys (team and run, team and cluster, ...) as the pipeline writes them: the parts
 * joined by {@code /}, with {@code \} and {@code /} inside a part escaped by {@code \}. Ids without
 * either character read as before ({@code upstage/run-7}); an id that contains one can never be
 * split at the wrong place.
 */
public final class Keys {
  private Keys() {}

  /** The key made of {@code parts}, in order. */
  public static String of(String... parts) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      String p = parts[i];
      for (int j = 0; j < p.length(); j++) {
        char c = p.charAt(j);
        if (c == '/' || c == '\\') {
          b.append('\\');
        }
        b.append(c);
      }
    }
    return b.toString();
  }

  /** The parts of {@code key}, which must have been made by {@link #of} with {@code n} parts. */
  public static List<String> parts(String key, int n) {
    List<String> parts = new ArrayList<>(n);
    StringBuilder part = new StringBuilder();
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '\\' && i + 1 < key.length()) {
        part.append(key.charAt(++i));
      } else if (c == '/') {
        parts.add(part.toString());
        part.setLength(0);
      } else {
        part.append(c);
      }
    }
    parts.add(part.toString());
    if (parts.size() != n) {
      throw new IllegalArgumentException(
          "key '" + key + "' has " + parts.size() + " parts, expected " + n);
    }
    return parts;
  }
}
