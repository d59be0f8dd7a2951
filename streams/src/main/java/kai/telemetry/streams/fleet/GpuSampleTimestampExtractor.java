package kai.telemetry.streams.fleet;

import kai.telemetry.events.GpuSample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * Event time of a GPU sample is its ts_ms, when the GPU was read, not when the record reached
 * Kafka: windows must count samples by when they were taken.
 */
public final class GpuSampleTimestampExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    if (record.value() instanceof GpuSample s && s.getTsMs() > 0) {
      return s.getTsMs();
    }
    return record.timestamp();
  }
}
