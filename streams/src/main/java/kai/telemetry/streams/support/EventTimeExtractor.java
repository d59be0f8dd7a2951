package kai.telemetry.streams.support;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of every event is its ts_ms field (when the GPU was read, the step finished, ...), not
 * when the record reached Kafka: windows must count events by when they happened. Records without
 * one fall back to the record timestamp.
 */
public final class EventTimeExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof SpecificRecord r) {
      Schema.Field f = r.getSchema().getField("ts_ms");
      if (f != null && r.get(f.pos()) instanceof Long ts && ts > 0) {
        return ts;
      }
    }
    return record.timestamp();
  }
}
