package kai.telemetry.sinks.clickhouse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import kai.telemetry.schemas.Ids;
import kai.telemetry.schemas.registry.AvroDeserializer;
import kai.telemetry.sinks.clickhouse.RowBinary.Column;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.ResolvingDecoder;
import org.apache.avro.util.Utf8;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Turns one topic's records (registry wire format) straight into RowBinary rows of its table,
 * reading the Avro binary field by field and writing each value's bytes, with no Avro objects,
 * boxed numbers or Java strings in between: the sink's decode cost per record. Values land exactly
 * as {@link TableRoute#row} lays them out (nested records flattened, enums as names, string arrays
 * comma-joined).
 *
 * <p>Writer schemas other than the route's are resolved with Avro's {@link ResolvingDecoder}, as
 * the object path does. A writer whose fields come in another order than the reader's cannot be
 * copied field by field; its records take the object path ({@link TableRoute#row}) instead.
 *
 * <p>Not thread-safe: one per route, used by the polling thread.
 */
final class RowBinaryTranscoder {
  private final TableRoute<?> route;
  private final AvroDeserializer<?> avro;
  private final Schema reader;
  private final List<Column> columns;
  private final Field[] fields;
  private final Map<Integer, Decoding> byWriterId = new HashMap<>();
  private final RowBinary.Buffer out = new RowBinary.Buffer();
  private final RowBinary.Buffer joined = new RowBinary.Buffer();
  private final Utf8 text = new Utf8();
  private BinaryDecoder binary;
  private int lastId = -1;
  private Decoding last;

  /** How records of one writer schema are read: resolver null when writer equals reader. */
  private static final class Decoding {
    final ResolvingDecoder resolver;
    boolean direct = true;

    Decoding(ResolvingDecoder resolver) {
      this.resolver = resolver;
    }
  }

  /** One value of the reader schema and the column it lands in. */
  private record Leaf(
      Schema value, int nullBranch, Column column, byte[][] symbols, String idField) {}

  /** Whether every field can be copied from the Avro bytes (see {@link #transcodable(Schema)}). */
  private final boolean transcodable;

  /** A top-level field: one leaf, or a (nullable) record flattened into one leaf per sub-field. */
  private record Field(Leaf leaf, int nullBranch, Leaf[] nested) {}

  /** Thrown while transcoding when the writer's field order differs from the reader's. */
  private static final class OtherFieldOrder extends Exception {
    OtherFieldOrder() {
      super(null, null, false, false);
    }
  }

  /**
   * @param columnTypes the table's ClickHouse column types by column name
   * @throws IllegalArgumentException if a column is missing or has a type this path cannot write
   */
  RowBinaryTranscoder(TableRoute<?> route, Map<String, String> columnTypes) {
    this.route = route;
    if (route.schema() == null || !(route.deserializer() instanceof AvroDeserializer<?> d)) {
      throw new IllegalArgumentException(
          "route " + route.topic() + " has no Avro schema to transcode from");
    }
    this.avro = d;
    this.reader = route.schema();
    List<Column> columns = new ArrayList<>();
    for (String name : route.columns()) {
      String type = columnTypes.get(name);
      if (type == null) {
        throw new IllegalArgumentException(
            "table " + route.table() + " has no column " + name + " for topic " + route.topic());
      }
      columns.add(Column.of(route.table() + "." + name, type));
    }
    this.columns = List.copyOf(columns);
    List<Field> compiled = new ArrayList<>();
    int column = 0;
    for (Schema.Field f : reader.getFields()) {
      Schema record = TableRoute.recordOf(f.schema());
      if (record == null) {
        compiled.add(new Field(leaf(f, columns.get(column++), route.checksIds()), -1, null));
      } else {
        Leaf[] nested = new Leaf[record.getFields().size()];
        for (Schema.Field sub : record.getFields()) {
          nested[sub.pos()] = leaf(sub, columns.get(column++), false);
        }
        compiled.add(new Field(null, nullBranch(f.schema()), nested));
      }
    }
    this.fields = compiled.toArray(Field[]::new);
    this.transcodable = reader.getFields().stream().allMatch(f -> transcodable(f.schema()));
  }

  /**
   * Whether a field's bytes can be copied straight to its column: every type but an array whose
   * items are not text (numbers or records in reference data and run declarations, rare and small),
   * at any depth, which lands through the decoded row's text instead.
   */
  private static boolean transcodable(Schema s) {
    if (s.getType() == Schema.Type.UNION) {
      return s.getTypes().stream().allMatch(RowBinaryTranscoder::transcodable);
    }
    if (s.getType() == Schema.Type.RECORD) { // a nested record's fields are its columns
      return s.getFields().stream().allMatch(f -> transcodable(f.schema()));
    }
    if (s.getType() != Schema.Type.ARRAY) {
      return true;
    }
    Schema.Type items = s.getElementType().getType();
    return items == Schema.Type.STRING || items == Schema.Type.ENUM;
  }

  /** The table's columns in the route's order, with their ClickHouse types. */
  List<Column> columns() {
    return columns;
  }

  /** The RowBinary bytes of one record's row. */
  byte[] encode(byte[] value) {
    int id = AvroDeserializer.schemaId(route.topic(), value);
    if (id != lastId || last == null) { // records of one topic almost always share a schema
      last = byWriterId.computeIfAbsent(id, this::decoding);
      lastId = id;
    }
    Decoding decoding = last;
    out.reset();
    if (decoding.direct && transcodable) {
      binary =
          DecoderFactory.get()
              .binaryDecoder(
                  value,
                  AvroDeserializer.payloadOffset(),
                  value.length - AvroDeserializer.payloadOffset(),
                  binary);
      try {
        if (decoding.resolver == null) {
          record(binary, null);
        } else {
          decoding.resolver.configure(binary);
          record(decoding.resolver, decoding.resolver);
          decoding.resolver.drain();
        }
        return out.toByteArray();
      } catch (OtherFieldOrder e) {
        decoding.direct = false; // the same for every record of this writer schema
        out.reset();
      } catch (IOException | RuntimeException e) {
        throw new SerializationException(
            "cannot decode " + reader.getName() + " with writer schema id " + id + ": " + e, e);
      }
    }
    Object[] row = route.row(value);
    for (int i = 0; i < row.length; i++) {
      RowBinary.write(out, columns.get(i), row[i]);
    }
    return out.toByteArray();
  }

  private Decoding decoding(int id) {
    Schema writer = avro.writerSchema(id);
    if (writer.equals(reader)) {
      return new Decoding(null);
    }
    try {
      return new Decoding(DecoderFactory.get().resolvingDecoder(writer, reader, null));
    } catch (IOException e) {
      throw new SerializationException("cannot resolve writer schema id " + id + ": " + e, e);
    }
  }

  private void record(Decoder in, ResolvingDecoder resolver) throws IOException, OtherFieldOrder {
    inReaderOrder(resolver);
    for (Field f : fields) {
      if (f.nested() == null) {
        leaf(in, f.leaf());
        continue;
      }
      if (f.nullBranch() >= 0 && in.readIndex() == f.nullBranch()) {
        in.readNull();
        for (Leaf sub : f.nested()) {
          writeNull(sub.column());
        }
        continue;
      }
      inReaderOrder(resolver);
      for (Leaf sub : f.nested()) {
        leaf(in, sub);
      }
    }
  }

  private static void inReaderOrder(ResolvingDecoder resolver) throws IOException, OtherFieldOrder {
    if (resolver == null) {
      return;
    }
    Schema.Field[] order = resolver.readFieldOrder();
    for (int i = 0; i < order.length; i++) {
      if (order[i].pos() != i) {
        throw new OtherFieldOrder();
      }
    }
  }

  private void leaf(Decoder in, Leaf leaf) throws IOException {
    Column c = leaf.column();
    if (leaf.nullBranch() >= 0 && in.readIndex() == leaf.nullBranch()) {
      in.readNull();
      writeNull(c);
      return;
    }
    if (c.nullable()) {
      out.writeByte(0);
    }
    switch (leaf.value().getType()) {
      case LONG -> out.writeLong(RowBinary.checkSign(c, in.readLong()));
      case INT -> {
        int v = in.readInt();
        if (c.type() == RowBinary.Type.INT32) {
          out.writeInt(v);
        } else {
          out.writeLong(RowBinary.checkSign(c, v));
        }
      }
      case DOUBLE -> out.writeDouble(in.readDouble());
      case FLOAT -> {
        float v = in.readFloat();
        if (c.type() == RowBinary.Type.FLOAT32) {
          out.writeFloat(v);
        } else {
          out.writeDouble(v);
        }
      }
      case BOOLEAN -> out.writeByte(in.readBoolean() ? 1 : 0);
      case STRING -> {
        Utf8 s = in.readString(text);
        if (leaf.idField() != null) {
          String problem = Ids.problem(leaf.idField(), s.toString());
          if (problem != null) {
            throw new IllegalArgumentException(problem); // the record is dead-lettered with it
          }
        }
        out.writeString(s.getBytes(), 0, s.getByteLength());
      }
      case ENUM -> {
        byte[] name = leaf.symbols()[in.readEnum()];
        out.writeString(name, 0, name.length);
      }
      case ARRAY -> {
        joined.reset();
        boolean first = true;
        Schema items = leaf.value().getElementType();
        for (long n = in.readArrayStart(); n > 0; n = in.arrayNext()) {
          for (long i = 0; i < n; i++) {
            if (!first) {
              joined.writeByte(',');
            }
            first = false;
            if (items.getType() == Schema.Type.ENUM) {
              byte[] name = leaf.symbols()[in.readEnum()];
              joined.writeBytes(name, 0, name.length);
            } else {
              Utf8 s = in.readString(text);
              joined.writeBytes(s.getBytes(), 0, s.getByteLength());
            }
          }
        }
        out.writeString(joined.bytes(), 0, joined.size());
      }
      default -> throw new IllegalStateException("unexpected " + leaf.value());
    }
  }

  private void writeNull(Column c) {
    if (!c.nullable()) {
      throw new IllegalArgumentException("null for column " + c.name() + ", not Nullable");
    }
    out.writeByte(1);
  }

  /** Checks at start that the reader field can land in the column, and how. */
  private static Leaf leaf(Schema.Field f, Column column, boolean topLevel) {
    int nullBranch = nullBranch(f.schema());
    Schema value = f.schema();
    if (value.getType() == Schema.Type.UNION) {
      if (value.getTypes().size() != 2 || nullBranch < 0) {
        throw unsupported(f, column, "a union other than [null, T]");
      }
      value = value.getTypes().get(1 - nullBranch);
    }
    RowBinary.Type t = column.type();
    Schema symbolsOf = value;
    boolean fits =
        switch (value.getType()) {
          case LONG -> t == RowBinary.Type.INT64 || t == RowBinary.Type.UINT64;
          case INT ->
              t == RowBinary.Type.INT32 || t == RowBinary.Type.INT64 || t == RowBinary.Type.UINT64;
          case DOUBLE -> t == RowBinary.Type.FLOAT64;
          case FLOAT -> t == RowBinary.Type.FLOAT32 || t == RowBinary.Type.FLOAT64;
          case BOOLEAN -> t == RowBinary.Type.UINT8;
          case STRING, ENUM -> t == RowBinary.Type.STRING;
          case ARRAY -> {
            symbolsOf = value.getElementType();
            yield t == RowBinary.Type.STRING; // as text: see TableRoute
          }
          default -> false;
        };
    if (!fits) {
      throw unsupported(f, column, value.getType().getName());
    }
    byte[][] symbols = null;
    if (symbolsOf.getType() == Schema.Type.ENUM) {
      symbols =
          symbolsOf.getEnumSymbols().stream()
              .map(s -> s.getBytes(StandardCharsets.UTF_8))
              .toArray(byte[][]::new);
    }
    // Top-level id fields are checked as they are copied (Ids): nothing stored can break out of
    // a dashboard's quoted SQL.
    String idField =
        topLevel && (f.name().equals("team") || Ids.ID_FIELDS.contains(f.name())) ? f.name() : null;
    return new Leaf(value, nullBranch, column, symbols, idField);
  }

  private static int nullBranch(Schema s) {
    if (s.getType() != Schema.Type.UNION) {
      return -1;
    }
    List<Schema> branches = s.getTypes();
    for (int i = 0; i < branches.size(); i++) {
      if (branches.get(i).getType() == Schema.Type.NULL) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException unsupported(Schema.Field f, Column c, String avro) {
    return new IllegalArgumentException(
        "field "
            + f.name()
            + " ("
            + avro
            + ") cannot be written to column "
            + c.name()
            + " of type "
            + c.type()
            + " by the RowBinary insert path");
  }
}
