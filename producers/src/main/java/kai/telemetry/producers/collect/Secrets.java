package kai.telemetry.producers.collect;

import java.util.regex.Pattern;

/**
 * Obvious secrets taken out of text a collector keeps as evidence (a reject's raw input and
 * reason), so a log line that leaked an access token does not leak it again into the rejects table:
 * Hugging Face, OpenAI-style, GitHub, Slack and AWS keys, bearer tokens, JWTs, and values of fields
 * named like a password, a token, a secret or a key.
 */
public final class Secrets {
  private static final String REDACTED = "[REDACTED]";

  private static final Pattern TOKENS =
      Pattern.compile(
          "\\bhf_[A-Za-z0-9]{20,}"
              + "|\\bsk-[A-Za-z0-9_-]{16,}"
              + "|\\bgh[pousr]_[A-Za-z0-9]{20,}"
              + "|\\bgithub_pat_[A-Za-z0-9_]{20,}"
              + "|\\bxox[abprs]-[A-Za-z0-9-]{10,}"
              + "|\\b(?:AKIA|ASIA)[A-Z0-9]{16}\\b"
              + "|\\beyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}");

  private static final Pattern BEARER =
      Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{8,}");

  /** key=value, key: value, "key": "value" where the key names a secret. */
  private static final Pattern FIELDS =
      Pattern.compile(
          "(?i)(\"?[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key"
              + "|secret[_-]?key|private[_-]?key|credentials?)\"?\\s*[:=]\\s*)"
              + "(\"[^\"]*\"|'[^']*'|[^\\s,;&}]+)");

  private Secrets() {}

  /** {@code text} with every obvious secret replaced by [REDACTED]. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out =
        FIELDS
            .matcher(text)
            .replaceAll(m -> java.util.regex.Matcher.quoteReplacement(m.group(1) + REDACTED));
    out = BEARER.matcher(out).replaceAll("$1 " + REDACTED);
    return TOKENS.matcher(out).replaceAll(REDACTED);
  }
}
