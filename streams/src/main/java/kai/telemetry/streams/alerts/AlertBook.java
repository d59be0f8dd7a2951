package kai.telemetry.streams.alerts;

import java.util.Optional;
import kai.telemetry.kpis.Alert;
import kai.telemetry.kpis.AlertKind;
import kai.telemetry.kpis.AlertSeverity;
import kai.telemetry.kpis.AlertState;
import kai.telemetry.schemas.Keys;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The open alerts of one processor, one per (kind, team, subject): opening an already open alert or
 * resolving one that is not open does nothing, so a condition that persists over many events is one
 * episode, not one alert per event.
 */
final class AlertBook {
  private final KeyValueStore<String, Alert> open;

  AlertBook(KeyValueStore<String, Alert> open) {
    this.open = open;
  }

  private static String key(AlertKind kind, String team, String subject) {
    return Keys.of(kind.name(), team, subject);
  }

  boolean isOpen(AlertKind kind, String team, String subject) {
    return open.get(key(kind, team, subject)) != null;
  }

  /** The OPEN record to emit, if the alert was not open yet. */
  Optional<Alert> open(
      AlertKind kind,
      AlertSeverity severity,
      String team,
      String subject,
      String message,
      long nowMs) {
    String key = key(kind, team, subject);
    if (open.get(key) != null) {
      return Optional.empty();
    }
    Alert a =
        Alert.newBuilder()
            .setAlertId(key + "/" + nowMs)
            .setKind(kind)
            .setState(AlertState.OPEN)
            .setSeverity(severity)
            .setTeam(team)
            .setSubject(subject)
            .setMessage(message)
            .setOpenedMs(nowMs)
            .setTsMs(nowMs)
            .setVersion(1)
            .build();
    open.put(key, a);
    return Optional.of(a);
  }

  /** The RESOLVED record to emit, if the alert was open. */
  Optional<Alert> resolve(AlertKind kind, String team, String subject, String message, long nowMs) {
    String key = key(kind, team, subject);
    Alert a = open.get(key);
    if (a == null) {
      return Optional.empty();
    }
    open.delete(key);
    return Optional.of(
        Alert.newBuilder(a)
            .setState(AlertState.RESOLVED)
            .setMessage(message)
            .setResolvedMs(nowMs)
            .setTsMs(nowMs)
            .setVersion(2)
            .build());
  }
}
