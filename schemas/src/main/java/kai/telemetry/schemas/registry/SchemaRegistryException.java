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

  /** The HTTP status the registry answered with, 0 if it was not reached. */
  public int httpStatus() {
    return httpStatus;
  }
}
