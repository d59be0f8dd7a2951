package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpTsvRowWriterTest {
  @Test
  void encodesNullsNumbersAndEscapedStringsAsTabSeparated() {
    byte[] tsv =
        HttpTsvRowWriter.encode(
            List.of(
                new Object[] {"a\tb\nc\\d", null, 7L, 3, Double.NaN, true},
                new Object[] {"", "x", -1L, 0, Double.NEGATIVE_INFINITY, false}));
    assertThat(new String(tsv, StandardCharsets.UTF_8))
        .isEqualTo("a\\tb\\nc\\\\d\t\\N\t7\t3\tnan\t1\n\tx\t-1\t0\t-inf\t0\n");
  }

  @Test
  void anUnreachableServerIsRetriable() {
    try (HttpTsvRowWriter w = new HttpTsvRowWriter("http://127.0.0.1:1", "u", "p", "kai", 2_000)) {
      assertThatThrownBy(() -> w.insert("t", List.of("a"), List.<Object[]>of(new Object[] {1L})))
          .isInstanceOfSatisfying(
              RowWriter.WriteException.class, e -> assertThat(e.retriable()).isTrue());
    }
  }
}
