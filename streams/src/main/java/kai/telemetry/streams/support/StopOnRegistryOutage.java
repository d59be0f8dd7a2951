package kai.telemetry.streams.support;

import kai.telemetry.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The KPI jobs' deserialization errors: a record that cannot be decoded goes to the jobs' dead
 * letters and processing goes on (Kafka Streams' own handling), but a schema registry that cannot
 * be reached, or refuses the job, is not the record's fault: the job stops without committing past
 * it, and resumes from there once restarted, rather than dead-lettering every record while the
 * registry is down. Only a schema id the registry does not know (404) is the record's.
 */
public final class StopOnRegistryOutage extends LogAndContinueExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(StopOnRegistryOutage.class);

  @Override
  public Response handleError(
      ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    SchemaRegistryException registry = SchemaRegistryException.outageBehind(exception);
    if (registry != null) {
      log.error(
          "the schema registry failed while decoding {}-{}@{} ({}); stopping without committing"
              + " past it",
          record.topic(),
          record.partition(),
          record.offset(),
          registry.getMessage());
      return Response.fail();
    }
    return super.handleError(context, record, exception);
  }
}
