package kai.telemetry.producers.collect;

/**
 * An input a parser could not use: where it was (file and line, or URL), why, and the raw text.
 * Reason and raw input are capped and have obvious secrets redacted ({@link Secrets}): they are
 * kept as evidence in the rejects table, where no hostile input may make a record too large to send
 * or leak a credential again.
 *
 * @param source file:line, URL, or another position a person can find
 * @param reason what is wrong with it (at most 1024 characters)
 * @param raw the input as read (at most 4096 characters)
 */
public record Problem(String source, String reason, String raw) {
  private static final int MAX_RAW = 4096;
  private static final int MAX_REASON = 1024;
  private static final int MAX_SOURCE = 512;

  public Problem {
    source = cap(source == null ? "" : source, MAX_SOURCE);
    reason = cap(Secrets.redact(reason == null ? "" : reason), MAX_REASON);
    raw = cap(Secrets.redact(raw == null ? "" : raw), MAX_RAW);
  }

  static String cap(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 14) + "...(truncated)";
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
