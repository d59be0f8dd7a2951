package kai.telemetry.sinks.clickhouse;

import java.util.List;
import kai.telemetry.sinks.clickhouse.RowBinary.Buffer;
import kai.telemetry.sinks.clickhouse.RowBinary.Column;

/** Builds the one Native-format block an insert sends, from the rows the transcoder wrote. */
final class NativeBlock {
  private NativeBlock() {}

  /**
   * One block in ClickHouse's Native format from rows in RowBinary: the same values laid out column
   * by column (a Nullable column as its null map, then every row's value, a default where null),
   * which the server reads in bulk instead of value by value. {@code columns} are the names in the
   * insert's order, with the table's types.
   */
  static byte[] of(List<Column> columns, List<String> names, List<byte[]> rows) {
    int n = columns.size();
    Buffer[] values = new Buffer[n];
    Buffer[] nulls = new Buffer[n];
    for (int c = 0; c < n; c++) { // sized up front: fixed widths exactly, strings by a guess
      int w = RowBinary.width(columns.get(c).type());
      values[c] = new Buffer(rows.size() * (w == 0 ? 24 : w));
      nulls[c] = columns.get(c).nullable() ? new Buffer(rows.size()) : null;
    }
    for (byte[] row : rows) {
      int at = 0;
      for (int c = 0; c < n; c++) {
        Column column = columns.get(c);
        if (nulls[c] != null) {
          byte isNull = row[at++];
          nulls[c].writeByte(isNull);
          if (isNull != 0) {
            int w = RowBinary.width(column.type());
            for (int i = Math.max(w, 1); i > 0; i--) {
              values[c].writeByte(0); // a default value (zeros; an empty string is length 0)
            }
            continue;
          }
        }
        int w = RowBinary.width(column.type());
        if (w == 0) {
          int start = at;
          int length = 0;
          int shift = 0;
          byte b;
          do {
            b = row[at++];
            length |= (b & 0x7F) << shift;
            shift += 7;
          } while (b < 0);
          w = at - start + length;
          at = start;
        }
        values[c].writeBytes(row, at, w);
        at += w;
      }
      if (at != row.length) {
        throw new IllegalStateException("a row of " + row.length + " bytes read as " + at);
      }
    }
    Buffer header = new Buffer();
    header.writeLength(n);
    header.writeLength(rows.size());
    Buffer[] heads = new Buffer[n];
    int size = header.size();
    for (int c = 0; c < n; c++) {
      heads[c] = new Buffer(64);
      heads[c].writeString(names.get(c));
      heads[c].writeString(columns.get(c).clickHouseType());
      size += heads[c].size() + values[c].size() + (nulls[c] == null ? 0 : nulls[c].size());
    }
    byte[] block = new byte[size]; // one allocation of the exact size: batches are megabytes
    int at = header.copyTo(block, 0);
    for (int c = 0; c < n; c++) {
      at = heads[c].copyTo(block, at);
      if (nulls[c] != null) {
        at = nulls[c].copyTo(block, at);
      }
      at = values[c].copyTo(block, at);
    }
    return block;
  }
}
