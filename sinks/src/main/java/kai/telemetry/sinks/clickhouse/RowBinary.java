package kai.telemetry.sinks.clickhouse;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * ClickHouse's RowBinary row format, as far as the sink writes it (a Native block is built from
 * such rows by {@link NativeBlock}): the column types its tables use, laid out little-endian,
 * strings as a LEB128 length and UTF-8 bytes, a Nullable value behind one byte (1 = null).
 * Supported by every ClickHouse release, 18.16 included.
 */
final class RowBinary {
  private RowBinary() {}

  /** The column types the sink can write. */
  enum Type {
    STRING,
    INT32,
    INT64,
    UINT64,
    UINT8,
    FLOAT32,
    FLOAT64
  }

  /** One column of a table, as {@code system.columns} describes it. */
  record Column(String name, Type type, boolean nullable, String clickHouseType) {

    /** Parses a ClickHouse type name such as {@code Nullable(Float64)}. */
    static Column of(String name, String clickHouseType) {
      boolean nullable = clickHouseType.startsWith("Nullable(") && clickHouseType.endsWith(")");
      String inner =
          nullable ? clickHouseType.substring(9, clickHouseType.length() - 1) : clickHouseType;
      Type type =
          switch (inner) {
            case "String" -> Type.STRING;
            case "Int32" -> Type.INT32;
            case "Int64" -> Type.INT64;
            case "UInt64" -> Type.UINT64;
            case "UInt8" -> Type.UINT8;
            case "Float32" -> Type.FLOAT32;
            case "Float64" -> Type.FLOAT64;
            default ->
                throw new IllegalArgumentException(
                    "column "
                        + name
                        + " has type "
                        + clickHouseType
                        + ", which the RowBinary insert path does not write");
          };
      return new Column(name, type, nullable, clickHouseType);
    }
  }

  /** Bytes of one value of a fixed-width type; 0 for String. */
  static int width(Type t) {
    return switch (t) {
      case STRING -> 0;
      case UINT8 -> 1;
      case INT32, FLOAT32 -> 4;
      case INT64, UINT64, FLOAT64 -> 8;
    };
  }

  /** A growable byte buffer that rows are encoded into. Not thread-safe. */
  static final class Buffer {
    private static final VarHandle LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT_LE =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] bytes;
    private int size;

    Buffer() {
      this(512);
    }

    Buffer(int capacity) {
      bytes = new byte[Math.max(capacity, 16)];
    }

    /** Copies the bytes written into {@code target} at {@code offset}; returns the end. */
    int copyTo(byte[] target, int offset) {
      System.arraycopy(bytes, 0, target, offset, size);
      return offset + size;
    }

    int size() {
      return size;
    }

    void reset() {
      size = 0;
    }

    /** The bytes written since {@link #reset()}, copied. */
    byte[] toByteArray() {
      return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    void writeByte(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
    }

    void writeInt(int v) {
      ensure(4);
      INT_LE.set(bytes, size, v);
      size += 4;
    }

    void writeLong(long v) {
      ensure(8);
      LONG_LE.set(bytes, size, v);
      size += 8;
    }

    void writeFloat(float v) {
      writeInt(Float.floatToRawIntBits(v));
    }

    void writeDouble(double v) {
      writeLong(Double.doubleToRawLongBits(v));
    }

    /** The backing array; valid up to {@link #size()}. */
    byte[] bytes() {
      return bytes;
    }

    void writeBytes(byte[] b, int offset, int length) {
      ensure(length);
      System.arraycopy(b, offset, bytes, size, length);
      size += length;
    }

    /** A length-prefixed string from UTF-8 bytes. */
    void writeString(byte[] utf8, int offset, int length) {
      writeLength(length);
      writeBytes(utf8, offset, length);
    }

    void writeString(String s) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      writeString(utf8, 0, utf8.length);
    }

    /** Unsigned LEB128, ClickHouse's VarUInt. */
    void writeLength(int n) {
      ensure(5);
      int v = n;
      while ((v & ~0x7F) != 0) {
        bytes[size++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      bytes[size++] = (byte) v;
    }
  }

  /**
   * Writes a decoded value ({@link TableRoute#row} yields numbers, booleans, strings and nulls) to
   * {@code column}: the same conversions as the bound JDBC parameters.
   */
  static void write(Buffer out, Column column, Object value) {
    if (value == null) {
      if (!column.nullable()) {
        throw new IllegalArgumentException("null for column " + column.name() + ", not Nullable");
      }
      out.writeByte(1);
      return;
    }
    if (column.nullable()) {
      out.writeByte(0);
    }
    switch (column.type()) {
      case STRING -> {
        if (!(value instanceof CharSequence s)) {
          throw mismatch(column, value);
        }
        out.writeString(s.toString());
      }
      case INT32 -> out.writeInt(Math.toIntExact(integral(column, value)));
      case INT64, UINT64 -> out.writeLong(checkSign(column, integral(column, value)));
      case UINT8 -> {
        long v = value instanceof Boolean b ? (b ? 1 : 0) : integral(column, value);
        if (v < 0 || v > 255) {
          throw new IllegalArgumentException(v + " does not fit UInt8 column " + column.name());
        }
        out.writeByte((int) v);
      }
      case FLOAT32 -> out.writeFloat((float) floating(column, value));
      case FLOAT64 -> out.writeDouble(floating(column, value));
    }
  }

  /** A negative number for an unsigned column is refused, as the server refuses it in text. */
  static long checkSign(Column column, long v) {
    if (v < 0 && column.type() == Type.UINT64) {
      throw new IllegalArgumentException(v + " is out of range of UInt64 column " + column.name());
    }
    return v;
  }

  private static long integral(Column column, Object value) {
    if (value instanceof Long || value instanceof Integer) {
      return ((Number) value).longValue();
    }
    throw mismatch(column, value);
  }

  private static double floating(Column column, Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    throw mismatch(column, value);
  }

  private static IllegalArgumentException mismatch(Column column, Object value) {
    return new IllegalArgumentException(
        "cannot write "
            + value.getClass().getSimpleName()
            + " to "
            + column.type()
            + " column "
            + column.name());
  }
}
