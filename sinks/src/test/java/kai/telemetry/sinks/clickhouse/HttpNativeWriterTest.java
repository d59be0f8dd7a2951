package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpNativeWriterTest {
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
  void transposesRowsIntoOneNativeBlock() {
    List<RowBinary.Column> columns =
        List.of(RowBinary.Column.of("s", "Nullable(String)"), RowBinary.Column.of("n", "Int32"));
    RowBinary.Buffer r1 = new RowBinary.Buffer();
    RowBinary.write(r1, columns.get(0), "ab");
    RowBinary.write(r1, columns.get(1), 7);
    RowBinary.Buffer r2 = new RowBinary.Buffer();
    RowBinary.write(r2, columns.get(0), null);
    RowBinary.write(r2, columns.get(1), -1);
    byte[] block =
        NativeBlock.of(columns, List.of("s", "n"), List.of(r1.toByteArray(), r2.toByteArray()));
    assertThat(HexFormat.of().formatHex(block))
        .isEqualTo(
            "0202" // 2 columns, 2 rows
                + "0173"
                + "104e756c6c61626c6528537472696e6729" // s Nullable(String)
                + "0001" // null map
                + "026162"
                + "00" // "ab", then the default of the null row
                + "016e"
                + "05496e743332" // n Int32
                + "07000000"
                + "ffffffff");
  }

  @Test
  void anUnreachableServerIsRetriable() {
    try (HttpNativeWriter w =
        new HttpNativeWriter("http://127.0.0.1:1", "u", "p", "kai", 2_000, List.of())) {
      w.describe("t", List.of(RowBinary.Column.of("a", "UInt8")));
      assertThatThrownBy(() -> w.insert("t", List.of("a"), List.of(new byte[] {1})))
          .isInstanceOfSatisfying(
              RowWriter.WriteException.class, e -> assertThat(e.retriable()).isTrue());
    }
  }
}
