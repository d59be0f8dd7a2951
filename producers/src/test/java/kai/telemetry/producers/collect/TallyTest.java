package kai.telemetry.producers.collect;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TallyTest {
  @Test
  void reasonsDifferingOnlyInValuesAreOneKind() {
    assertThat(Tally.kind("line 3 is 2000143 bytes, above the cap of 1048576: skipped"))
        .isEqualTo("line N is N bytes, above the cap of N: skipped");
    assertThat(Tally.kind("line 4 is not valid UTF-8")).isEqualTo("line N is not valid UTF-8");
    assertThat(Tally.kind("utilization_pct 150.0 is outside 0..100"))
        .isEqualTo("utilization_pct N is outside N..N");
    assertThat(Tally.kind("\"loss\" 'nope' is not a number"))
        .isEqualTo("\"loss\" '…' is not a number");
  }

  @Test
  void kindsAreCappedSoHostileInputCannotGrowTheSummary() {
    Tally t = new Tally();
    for (int i = 0; i < 1000; i++) {
      t.add("kind " + (char) ('a' + i % 26) + i, 1);
    }
    assertThat(t.lines("")).hasSize(Tally.MAX_KINDS + 1);
    assertThat(t.total()).contains(1000L);
    assertThat(t.lines("")).contains("980 x other reasons");
  }
}
