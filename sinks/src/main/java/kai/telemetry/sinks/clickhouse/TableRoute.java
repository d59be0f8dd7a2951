package kai.telemetry.sinks.clickhouse;

import java.util.ArrayList;
import java.util.List;
import kai.telemetry.schemas.Ids;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One topic landing in one table. Columns are the Avro record's fields by name, so the table
 * follows the contract: a nested record is flattened into {@code <field>_<subfield>} columns (all
 * null when the record is absent), enums land as their names, arrays of strings, enums or numbers
 * as one comma-separated string, arrays of records as one JSON array. Derived columns (event_time)
 * are filled by ClickHouse defaults.
 */
public final class TableRoute<V extends SpecificRecord> {
  private final String topic;
  private final String table;
  private final Deserializer<V> deserializer;
  private final List<String> columns;
  private final List<int[]> paths;
  private final Schema schema;
  private final boolean checkIds;

  /** A flat route: column i is field i. */
  public TableRoute(
      String topic, String table, Deserializer<V> deserializer, List<String> columns) {
    this(topic, table, deserializer, columns, identityPaths(columns.size()), null, false);
  }

  private TableRoute(
      String topic,
      String table,
      Deserializer<V> deserializer,
      List<String> columns,
      List<int[]> paths,
      Schema schema,
      boolean checkIds) {
    this.schema = schema;
    this.checkIds = checkIds;
    this.topic = topic;
    this.table = Tables.identifier(table);
    this.deserializer = deserializer;
    this.columns = List.copyOf(columns);
    this.paths = List.copyOf(paths);
  }

  public static <V extends SpecificRecord> TableRoute<V> of(
      String topic, String table, Deserializer<V> deserializer, Schema schema) {
    return of(topic, table, deserializer, schema, false);
  }

  /**
   * A route whose top-level id fields ({@code team}, {@code Ids.ID_FIELDS}) are checked when {@code
   * checkIds}: for topics teams write, whose records no job has checked.
   */
  public static <V extends SpecificRecord> TableRoute<V> of(
      String topic, String table, Deserializer<V> deserializer, Schema schema, boolean checkIds) {
    List<String> columns = new ArrayList<>();
    List<int[]> paths = new ArrayList<>();
    for (Schema.Field f : schema.getFields()) {
      Schema nested = recordOf(f.schema());
      if (nested == null) {
        columns.add(Tables.identifier(f.name()));
        paths.add(new int[] {f.pos()});
      } else {
        for (Schema.Field sub : nested.getFields()) {
          columns.add(Tables.identifier(f.name() + "_" + sub.name()));
          paths.add(new int[] {f.pos(), sub.pos()});
        }
      }
    }
    return new TableRoute<>(topic, table, deserializer, columns, paths, schema, checkIds);
  }

  /** The record schema of a record field or a nullable record field, else null. */
  static Schema recordOf(Schema s) {
    if (s.getType() == Schema.Type.RECORD) {
      return s;
    }
    if (s.getType() == Schema.Type.UNION) {
      for (Schema branch : s.getTypes()) {
        if (branch.getType() == Schema.Type.RECORD) {
          return branch;
        }
      }
    }
    return null;
  }

  private static List<int[]> identityPaths(int n) {
    List<int[]> p = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      p.add(new int[] {i});
    }
    return p;
  }

  public String topic() {
    return topic;
  }

  /** Whether the route checks its records' ids before they land. */
  public boolean checksIds() {
    return checkIds;
  }

  public String table() {
    return table;
  }

  public List<String> columns() {
    return columns;
  }

  /** The Avro schema the columns were laid out from; null for a flat route. */
  Schema schema() {
    return schema;
  }

  Deserializer<V> deserializer() {
    return deserializer;
  }

  /** The field name of column {@code i} when it is a top-level field (ids are), else "". */
  private String leafName(int i) {
    return paths.get(i).length == 1 ? columns.get(i) : "";
  }

  /** Decodes {@code value} and lays it out as a row in {@link #columns()} order. */
  public Object[] row(byte[] value) {
    V record = deserializer.deserialize(topic, value);
    if (record == null) {
      throw new IllegalArgumentException("empty value (tombstone) where an event was expected");
    }
    Object[] row = new Object[columns.size()];
    for (int i = 0; i < row.length; i++) {
      int[] path = paths.get(i);
      Object v = record.get(path[0]);
      if (path.length > 1) {
        v = v == null ? null : ((IndexedRecord) v).get(path[1]);
      }
      row[i] = column(v);
      if (checkIds && row[i] instanceof String text) {
        String problem = Ids.problem(leafName(i), text);
        if (problem != null) {
          throw new IllegalArgumentException(problem);
        }
      }
    }
    return row;
  }

  private static Object column(Object v) {
    if (v instanceof CharSequence || v instanceof Enum<?>) {
      return v.toString();
    }
    if (v instanceof List<?> list) {
      boolean records = !list.isEmpty() && list.get(0) instanceof IndexedRecord;
      StringBuilder sb = new StringBuilder(records ? "[" : "");
      for (int i = 0; i < list.size(); i++) {
        // A record's text is its JSON (Avro's GenericData rendering).
        sb.append(i == 0 ? "" : records ? ", " : ",").append(list.get(i));
      }
      return records ? sb.append(']').toString() : sb.toString();
    }
    return v;
  }
}
