package kai.telemetry.producers.collect.dcgm;

import java.util.LinkedHashMap;
import java.util.Map;
import kai.telemetry.producers.collect.Parsed;

/**
 * Reads the Prometheus text exposition format (version 0.0.4) as dcgm-exporter serves it: {@code
 * name{label="value",...} value [timestamp_ms]}, comments and blank lines skipped, label values
 * with \\, \" and \n escapes, values including NaN and +Inf/-Inf.
 */
public final class PrometheusText {

  /** One sample line. */
  public record Sample(
      String name, Map<String, String> labels, double value, Long timestampMs, int line) {}

  private PrometheusText() {}

  public static Parsed<Sample> parse(String text, String source) {
    Parsed<Sample> out = new Parsed<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        out.add(parseLine(line, i + 1));
      } catch (IllegalArgumentException e) {
        out.problem(source + ":" + (i + 1), e.getMessage(), lines[i]);
      }
    }
    return out;
  }

  static Sample parseLine(String line, int lineNo) {
    int i = 0;
    int n = line.length();
    while (i < n && isNameChar(line.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("no metric name");
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < n && line.charAt(i) == '{') {
      i++;
      while (true) {
        while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == ',')) {
          i++;
        }
        if (i < n && line.charAt(i) == '}') {
          i++;
          break;
        }
        int start = i;
        while (i < n && isNameChar(line.charAt(i), i == start)) {
          i++;
        }
        if (i == start || i >= n || line.charAt(i) != '=') {
          throw new IllegalArgumentException("malformed label set");
        }
        String key = line.substring(start, i);
        i++;
        if (i >= n || line.charAt(i) != '"') {
          throw new IllegalArgumentException("label " + key + " has no quoted value");
        }
        i++;
        StringBuilder value = new StringBuilder();
        boolean closed = false;
        while (i < n) {
          char c = line.charAt(i++);
          if (c == '\\' && i < n) {
            char e = line.charAt(i++);
            value.append(e == 'n' ? '\n' : e);
          } else if (c == '"') {
            closed = true;
            break;
          } else {
            value.append(c);
          }
        }
        if (!closed) {
          throw new IllegalArgumentException("label " + key + " value is not closed");
        }
        labels.put(key, value.toString());
      }
    }
    String[] rest = line.substring(i).strip().split("\\s+");
    if (rest.length == 0 || rest[0].isEmpty()) {
      throw new IllegalArgumentException("metric " + name + " has no value");
    }
    double value = parseValue(rest[0], name);
    Long ts = null;
    if (rest.length > 1) {
      try {
        ts = Long.parseLong(rest[1]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "metric " + name + " has a malformed timestamp '" + rest[1] + "'");
      }
    }
    return new Sample(name, labels, value, ts, lineNo);
  }

  private static double parseValue(String s, String name) {
    switch (s) {
      case "NaN":
        return Double.NaN;
      case "+Inf":
      case "Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      default:
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(
              "metric " + name + " has a non-numeric value '" + s + "'");
        }
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return c == '_'
        || c == ':'
        || (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (!first && c >= '0' && c <= '9');
  }
}
