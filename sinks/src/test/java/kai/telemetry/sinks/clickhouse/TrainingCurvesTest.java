package kai.telemetry.sinks.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TrainingCurvesTest {
  @Test
  void widthsAreTheOnesTheMigrationWrites() {
    String v009 =
        Migrations.all().stream().filter(m -> m.version() == 9).findFirst().orElseThrow().sql();
    assertThat(v009)
        .contains("[toUInt64(" + join(TrainingCurves.STEP_WIDTHS) + "] AS width")
        .contains("[toUInt64(" + join(TrainingCurves.TOKEN_WIDTHS) + "] AS width");
  }

  @Test
  void quotesTeamAndRunAsLiterals() {
    String sql = TrainingCurves.sql("kai", "a'b", "r\\1", TrainingCurves.Axis.TOKENS, 2000);
    assertThat(sql).contains("team = 'a\\'b' AND run_id = 'r\\\\1' AND axis = 'tokens'");
  }

  private static String join(java.util.List<Long> widths) {
    return widths.get(0)
        + "), "
        + widths.stream().skip(1).map(String::valueOf).collect(Collectors.joining(", "));
  }
}
