package kai.telemetry.producers.collect;

/**
 * An input a parser could not use: where it was (file and line, or URL), why, and the raw text.
 *
 * @param source file:line, URL, or another position a person can find
 * @param reason what is wrong with it
 * @param raw the input as read (truncated)
 */
public record Problem(String source, String reason, String raw) {
  private static final int MAX_RAW = 4096;

  public Problem {
    raw = raw == null ? "" : raw.length() > MAX_RAW ? raw.substring(0, MAX_RAW) : raw;
  }

  @Override
  public String toString() {
    return source + ": " + reason + (raw.isEmpty() ? "" : " [" + abbreviate(raw) + "]");
  }

  private static String abbreviate(String s) {
    String one = s.replace('\n', ' ');
    return one.length() > 120 ? one.substring(0, 117) + "..." : one;
  }
}
