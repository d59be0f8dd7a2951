package kai.telemetry.sinks.clickhouse;

import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * One topic landing in one table. Columns are the Avro record's fields by name, so the table
 * follows the contract; derived columns (event_time) are filled by ClickHouse defaults.
 */
public record TableRoute<V extends SpecificRecord>(
    String topic, String table, Deserializer<V> deserializer, List<String> columns) {

  public static <V extends SpecificRecord> TableRoute<V> of(
      String topic, String table, Deserializer<V> deserializer, Schema schema) {
    return new TableRoute<>(
        topic,
        Tables.identifier(table),
        deserializer,
        schema.getFields().stream().map(f -> Tables.identifier(f.name())).toList());
  }

  /** Decodes {@code value} and lays it out as a row in {@link #columns()} order. */
  public Object[] row(byte[] value) {
    V record = deserializer.deserialize(topic, value);
    if (record == null) {
      throw new IllegalArgumentException("empty value (tombstone) where an event was expected");
    }
    Object[] row = new Object[columns.size()];
    for (int i = 0; i < row.length; i++) {
      Object v = record.get(i);
      row[i] = v instanceof CharSequence || v instanceof Enum<?> ? v.toString() : v;
    }
    return row;
  }
}
