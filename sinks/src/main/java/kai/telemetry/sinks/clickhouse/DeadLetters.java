package kai.telemetry.sinks.clickhouse;

/** Where records the sink cannot land go, with the reason and where they came from. */
public interface DeadLetters extends AutoCloseable {

  /** A record as it was read: its coordinates and original bytes. */
  record Source(
      String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {}

  void send(Source source, String reason);

  /** Blocks until every record sent so far is durably stored. */
  void flush();

  @Override
  void close();
}
