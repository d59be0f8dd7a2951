package kai.telemetry.schemas;

import kai.telemetry.reference.TeamInfo;
import kai.telemetry.reference.TeamStatus;

/**
 * Which phases a team takes part in, as the program records it: the one rule the scoreboard and the
 * program office's commands both apply.
 */
public final class TeamPhases {
  private TeamPhases() {}

  /** Whether {@code team} is in phase {@code phase}: joined by then, and not gone before it. */
  public static boolean inPhase(TeamInfo team, int phase) {
    if (team.getJoinedPhase() > phase) {
      return false;
    }
    if (team.getStatus() == TeamStatus.ACTIVE) {
      return true;
    }
    return team.getEliminatedInPhase() != null && team.getEliminatedInPhase() >= phase;
  }

  /**
   * Whether {@code team} left the program in {@code phase} (eliminated, disqualified, withdrew).
   */
  public static boolean leftIn(TeamInfo team, int phase) {
    return team.getStatus() != TeamStatus.ACTIVE
        && team.getEliminatedInPhase() != null
        && team.getEliminatedInPhase() == phase;
  }
}
