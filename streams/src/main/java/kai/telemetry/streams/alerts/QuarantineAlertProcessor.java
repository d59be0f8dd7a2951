package kai.telemetry.streams.alerts;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.schemas.Keys;
import kai.telemetry.streams.intake.Quarantine;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * QUARANTINE alerts: the intake held back a team's record (it named another team, claimed to be
 * official, could not be read, had a bad id). One episode per team and cause opens with the first
 * such record, its message the reason; it resolves once no record of that team and cause has been
 * held back for {@code quietMs} of wall-clock time. The held records stay in the quarantine topic.
 */
final class QuarantineAlertProcessor implements Processor<String, byte[], String, Alert> {
  static final String SEEN_STORE = "quarantine-seen-store";
  static final String ALERTS_STORE = "quarantine-alerts-store";
  private final long quietMs;
  private final long checkMs;
  private final String quarantineTopic;
  private ProcessorContext<String, Alert> context;
  private KeyValueStore<String, Long> lastSeenWall;
  private AlertBook book;

  QuarantineAlertProcessor(long quietMs, long checkMs, String quarantineTopic) {
    this.quietMs = quietMs;
    this.checkMs = checkMs;
    this.quarantineTopic = quarantineTopic;
  }

  @Override
  public void init(ProcessorContext<String, Alert> context) {
    this.context = context;
    this.lastSeenWall = context.getStateStore(SEEN_STORE);
    this.book = new AlertBook(context.getStateStore(ALERTS_STORE));
    context.schedule(Duration.ofMillis(checkMs), PunctuationType.WALL_CLOCK_TIME, this::check);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    long now = context.currentSystemTimeMs();
    String team = header(record.headers(), Quarantine.TEAM, record.key());
    String cause = header(record.headers(), Quarantine.CAUSE, Quarantine.Cause.UNREADABLE.name());
    Quarantine.Cause c;
    try {
      c = Quarantine.Cause.valueOf(cause);
    } catch (IllegalArgumentException e) {
      c = Quarantine.Cause.UNREADABLE; // a cause this release does not know: still raised
    }
    lastSeenWall.put(Keys.of(team, c.name()), now);
    book.open(
            AlertKind.QUARANTINE,
            c.severity(),
            team,
            c.name(),
            "held back from the intake of team '"
                + team
                + "' in "
                + quarantineTopic
                + ": "
                + header(record.headers(), Quarantine.REASON, "(no reason given)")
                + " ("
                + header(record.headers(), Quarantine.SOURCE, "?")
                + ")",
            now)
        .ifPresent(this::emit);
  }

  private void check(long now) {
    try (KeyValueIterator<String, Long> it = lastSeenWall.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        if (now - kv.value >= quietMs) {
          var teamCause = Keys.parts(kv.key, 2);
          lastSeenWall.delete(kv.key);
          book.resolve(
                  AlertKind.QUARANTINE,
                  teamCause.get(0),
                  teamCause.get(1),
                  "nothing held back for " + (now - kv.value) / 1000 + " s",
                  now)
              .ifPresent(this::emit);
        }
      }
    }
  }

  private static String header(Headers headers, String name, String otherwise) {
    Header h = headers.lastHeader(name);
    if (h == null || h.value() == null) {
      return otherwise;
    }
    String v = new String(h.value(), StandardCharsets.UTF_8);
    return v.length() > 1_000 ? v.substring(0, 1_000) + "..." : v;
  }

  private void emit(Alert a) {
    context.forward(new Record<>(a.getAlertId(), a, a.getTsMs()));
  }
}
