package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpRowBinaryWriterTest {
  private static String hex(RowBinary.Buffer b) {
    return HexFormat.of().formatHex(b.toByteArray());
  }

  @Test
  void encodesValuesAsClickHouseRowBinary() {
    RowBinary.Buffer b = new RowBinary.Buffer();
    RowBinary.write(b, RowBinary.Column.of("s", "String"), "é");
    RowBinary.write(b, RowBinary.Column.of("n", "Nullable(Int32)"), null);
    RowBinary.write(b, RowBinary.Column.of("n", "Nullable(Int32)"), -2);
    RowBinary.write(b, RowBinary.Column.of("l", "Int64"), 1L);
    RowBinary.write(b, RowBinary.Column.of("u", "UInt8"), true);
    RowBinary.write(b, RowBinary.Column.of("d", "Float64"), 1.0);
    assertThat(hex(b))
        .isEqualTo(
            "02c3a9" // length 2, UTF-8 bytes
                + "01" // null
                + "00feffffff" // not null, -2 little-endian
                + "0100000000000000"
                + "01"
                + "000000000000f03f");
  }

  @Test
  void lengthsAreLeb128() {
    RowBinary.Buffer b = new RowBinary.Buffer();
    b.writeLength(300);
    assertThat(hex(b)).isEqualTo("ac02");
    String longText = "x".repeat(70_000);
    b.reset();
    b.writeString(longText);
    assertThat(b.size()).isEqualTo(3 + 70_000);
  }

  @Test
  void refusesValuesTheColumnCannotHold() {
    RowBinary.Buffer b = new RowBinary.Buffer();
    assertThatThrownBy(() -> RowBinary.write(b, RowBinary.Column.of("n", "Int64"), null))
        .hasMessageContaining("not Nullable");
    assertThatThrownBy(() -> RowBinary.write(b, RowBinary.Column.of("n", "Int64"), "7"))
        .hasMessageContaining("cannot write String to INT64 column n");
    assertThatThrownBy(() -> RowBinary.Column.of("t", "DateTime('UTC')"))
        .hasMessageContaining("column t has type DateTime('UTC')");
  }

  @Test
  void anUnreachableServerIsRetriable() {
    try (HttpRowBinaryWriter w =
        new HttpRowBinaryWriter("http://127.0.0.1:1", "u", "p", "kai", 2_000, List.of())) {
      assertThatThrownBy(() -> w.insert("t", List.of("a"), List.of(new byte[] {1})))
          .isInstanceOfSatisfying(
              RowWriter.WriteException.class, e -> assertThat(e.retriable()).isTrue());
    }
  }
}
