package kai.telemetry.schemas.registry;

/** The Confluent wire format: magic byte 0, 4-byte big-endian schema id, then Avro binary. */
final class WireFormat {
  static final byte MAGIC = 0;
  static final int HEADER_BYTES = 5;

  private WireFormat() {}
}
