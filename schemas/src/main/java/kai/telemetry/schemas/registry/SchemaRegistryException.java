package kai.telemetry.schemas.registry;

import org.apache.kafka.common.errors.SerializationException;

/** The schema registry refused a request or could not be reached. */
public class SchemaRegistryException extends SerializationException {
  private final int httpStatus;

  public SchemaRegistryException(String message, int httpStatus) {
    super(message);
    this.httpStatus = httpStatus;
  }

  public SchemaRegistryException(String message, int httpStatus, Throwable cause) {
    super(message, cause);
    this.httpStatus = httpStatus;
  }

  /**
   * The registry failure behind {@code e} that is not the record's fault (the registry is down,
   * overloaded or refuses this client; anything but an unknown schema id, 404), or null. A reader
   * stops on it, rather than dead-lettering records that are fine.
   */
  public static SchemaRegistryException outageBehind(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SchemaRegistryException s) {
        return s.httpStatus == 404 ? null : s;
      }
    }
    return null;
  }

  /** The HTTP status the registry answered with, 0 if it was not reached. */
  public int httpStatus() {
    return httpStatus;
  }
}
