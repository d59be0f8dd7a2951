package kai.telemetry.producers.collect;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a byte stream into the complete lines a collector reads, safely: a line ends at '\n' (a
 * '\r' before it is dropped, so CRLF files read as LF ones), a UTF-8 byte-order mark at the start
 * of a file is dropped, a line longer than the cap is skipped to its end and reported (its first
 * bytes kept as the raw input), and a line that is not valid UTF-8 is reported with its line number
 * instead of being read with replacement characters. Memory stays within the cap whatever the
 * input.
 */
public final class TextLines {
  /** Default cap on one line: far above any real log, CSV or metrics line. */
  public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

  private static final int RAW_KEPT = 4096;

  /**
   * One complete line: its number, its text (null when it has a problem), the problem and the raw
   * input shown with it, and the byte offset just after its '\n'.
   */
  public record Line(long number, String text, String problem, String raw, long endOffset) {
    public boolean ok() {
      return problem == null;
    }
  }

  private final int maxLineBytes;
  private final ByteArrayOutputStream current = new ByteArrayOutputStream(256);
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);
  private long offset; // of the next byte fed
  private long number; // of the last complete line
  private long lineBytes; // of the line being read, counted past the cap too
  private boolean atFileStart;

  /**
   * @param startOffset byte offset of the first byte to be fed (0 at a file's start, where a
   *     byte-order mark is dropped)
   * @param linesBefore how many lines come before it
   */
  public TextLines(int maxLineBytes, long startOffset, long linesBefore) {
    if (maxLineBytes < 1) {
      throw new IllegalArgumentException("maxLineBytes must be positive");
    }
    this.maxLineBytes = maxLineBytes;
    this.offset = startOffset;
    this.number = linesBefore;
    this.atFileStart = startOffset == 0;
  }

  /** Feeds {@code n} bytes of {@code buf}; returns the lines they complete. */
  public List<Line> feed(byte[] buf, int n) {
    List<Line> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte b = buf[i];
      offset++;
      if (b == '\n') {
        out.add(complete());
        continue;
      }
      lineBytes++;
      if (lineBytes <= maxLineBytes) {
        current.write(b);
      } else if (current.size() > RAW_KEPT) {
        // Past the cap only the first bytes are kept, for the reject's raw input.
        byte[] head = java.util.Arrays.copyOf(current.toByteArray(), RAW_KEPT);
        current.reset();
        current.write(head, 0, head.length);
      }
    }
    return out;
  }

  /**
   * The input has ended (a finished file): its last line, if it has no '\n', is complete as it is.
   * Empty when the input ended with a newline.
   */
  public java.util.Optional<Line> end() {
    return lineBytes == 0 ? java.util.Optional.empty() : java.util.Optional.of(complete());
  }

  /** Complete lines so far. */
  public long lines() {
    return number;
  }

  /** Bytes of an unfinished last line waiting for its '\n'. */
  public long pendingBytes() {
    return lineBytes;
  }

  private Line complete() {
    number++;
    byte[] bytes = current.toByteArray();
    long length = lineBytes;
    current.reset();
    lineBytes = 0;
    int start = 0;
    if (atFileStart) {
      atFileStart = false;
      if (bytes.length >= 3
          && (bytes[0] & 0xff) == 0xEF
          && (bytes[1] & 0xff) == 0xBB
          && (bytes[2] & 0xff) == 0xBF) {
        start = 3; // a byte-order mark, as some editors and spreadsheets write
      }
    }
    int end = bytes.length;
    if (length <= maxLineBytes && end > start && bytes[end - 1] == '\r') {
      end--;
    }
    if (length > maxLineBytes) {
      return new Line(
          number,
          null,
          "line "
              + number
              + " is "
              + length
              + " bytes, above the cap of "
              + maxLineBytes
              + ": skipped",
          new String(bytes, start, Math.min(end - start, RAW_KEPT), StandardCharsets.UTF_8),
          offset);
    }
    try {
      String text = utf8.decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
      return new Line(number, text, null, null, offset);
    } catch (CharacterCodingException e) {
      return new Line(
          number,
          null,
          "line " + number + " is not valid UTF-8",
          new String(bytes, start, Math.min(end - start, RAW_KEPT), StandardCharsets.UTF_8),
          offset);
    }
  }
}
