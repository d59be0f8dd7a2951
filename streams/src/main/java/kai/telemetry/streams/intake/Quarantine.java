package kai.telemetry.streams.intake;

import kai.telemetry.kpis.AlertSeverity;

/**
 * The contract of the quarantine topic: a held-back record keeps its original key and value bytes
 * and headers; these headers say why and where it came from. Its key is the team whose intake it
 * arrived on (the team the broker authenticated), not the team it claims.
 */
public final class Quarantine {
  /** The reason, in words. */
  public static final String REASON = "kai.quarantine.reason";

  /** The reason's class ({@link Cause} name): what the alert is about. */
  public static final String CAUSE = "kai.quarantine.cause";

  /** The team whose intake the record arrived on. */
  public static final String TEAM = "kai.quarantine.team";

  /** Where it was read: topic, partition and offset ({@code topic/partition@offset}). */
  public static final String SOURCE = "kai.quarantine.source";

  /** The record's original key bytes, when it had one (the quarantine's key is the team). */
  public static final String ORIGINAL_KEY = "kai.quarantine.original-key";

  /** Why a record is held back, and how loudly the program office hears of it. */
  public enum Cause {
    /** The record names another team than the one whose credentials wrote it. */
    NOT_ITS_TEAM(AlertSeverity.CRITICAL),
    /** A team's credentials published a result marked OFFICIAL: only the program office may. */
    OFFICIAL_CLAIM(AlertSeverity.CRITICAL),
    /** Not in the registry wire format, an unknown schema, or not the topic's record type. */
    UNREADABLE(AlertSeverity.WARNING),
    /**
     * A value that cannot be (out of range, not a finite number, an event time before 2020) or an
     * id outside its character set or length: the collectors' checks, which a team's credentials
     * can bypass by writing without a collector.
     */
    INVALID(AlertSeverity.WARNING),
    /** A record without a value (a deletion marker), which no intake topic takes. */
    NO_VALUE(AlertSeverity.WARNING),
    /**
     * An event time further ahead of the job's clock than it allows: a wrong clock, which would
     * otherwise make other teams' on-time records late.
     */
    FUTURE_TIME(AlertSeverity.WARNING),
    /**
     * More distinct GPUs in a minute than the team's allocation allows (times a margin): made-up
     * GPU ids, which would otherwise grow the fleet job's state for every team.
     */
    TOO_MANY_GPUS(AlertSeverity.CRITICAL);

    private final AlertSeverity severity;

    Cause(AlertSeverity severity) {
      this.severity = severity;
    }

    public AlertSeverity severity() {
      return severity;
    }
  }

  private Quarantine() {}
}
