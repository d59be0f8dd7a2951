package kai.telemetry.producers.collect;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TextLinesTest {
  private static List<TextLines.Line> read(TextLines lines, byte[] bytes, int chunk) {
    List<TextLines.Line> out = new ArrayList<>();
    for (int i = 0; i < bytes.length; i += chunk) {
      byte[] part = java.util.Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + chunk));
      out.addAll(lines.feed(part, part.length));
    }
    return out;
  }

  @Test
  void aByteOrderMarkAndCrlfReadAsPlainLinesWithTheirOffsets() {
    byte[] in = "\uFEFFa,b\r\n1,2\r\nlast".getBytes(StandardCharsets.UTF_8);
    TextLines lines = new TextLines(100, 0, 0);
    List<TextLines.Line> out = read(lines, in, 3);
    assertThat(out).extracting(TextLines.Line::text).containsExactly("a,b", "1,2");
    assertThat(out).extracting(TextLines.Line::number).containsExactly(1L, 2L);
    assertThat(out.get(1).endOffset()).isEqualTo(in.length - 4);
    assertThat(lines.pendingBytes()).as("the unfinished last line waits").isEqualTo(4);
  }

  @Test
  void aMarkInTheMiddleOfAFileIsText() {
    TextLines lines = new TextLines(100, 10, 3);
    List<TextLines.Line> out = read(lines, "\uFEFFx\n".getBytes(StandardCharsets.UTF_8), 64);
    assertThat(out.get(0).text()).isEqualTo("\uFEFFx");
    assertThat(out.get(0).number()).isEqualTo(4);
    assertThat(out.get(0).endOffset()).isEqualTo(15);
  }

  @Test
  void anOverlongLineIsSkippedToItsEndWithinTheCapAndTheNextLineReads() {
    byte[] big = new byte[5_000_000];
    java.util.Arrays.fill(big, (byte) 'x');
    byte[] in =
        (new String(big, StandardCharsets.US_ASCII) + "\nok\n").getBytes(StandardCharsets.UTF_8);
    List<TextLines.Line> out = read(new TextLines(1 << 20, 0, 0), in, 65_536);
    assertThat(out).hasSize(2);
    assertThat(out.get(0).ok()).isFalse();
    assertThat(out.get(0).problem())
        .isEqualTo("line 1 is 5000000 bytes, above the cap of 1048576: skipped");
    assertThat(out.get(0).raw()).hasSize(4096);
    assertThat(out.get(1).text()).isEqualTo("ok");
    assertThat(out.get(1).endOffset()).isEqualTo(in.length);
  }

  @Test
  void invalidUtf8IsReportedWithItsLineNumber() {
    byte[] in = {'o', 'k', '\n', 'b', (byte) 0xC3, (byte) 0x28, 'x', '\n', 'y', '\n'};
    List<TextLines.Line> out = read(new TextLines(100, 0, 0), in, 4);
    assertThat(out).extracting(TextLines.Line::ok).containsExactly(true, false, true);
    assertThat(out.get(1).problem()).isEqualTo("line 2 is not valid UTF-8");
    assertThat(out.get(2).text()).isEqualTo("y");
  }
}
