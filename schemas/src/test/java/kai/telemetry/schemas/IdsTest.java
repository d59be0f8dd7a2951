package kai.telemetry.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {
  private static List<String> id(String value) {
    List<String> why = new ArrayList<>();
    Ids.id(why, "run_id", value);
    return why;
  }

  @Test
  void theFastChecksAgreeWithThePatterns() {
    java.util.Random r = new java.util.Random(7);
    String alphabet = "aZ09-._:/@+= '\\\"\u0000é";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      for (int j = r.nextInt(70); j > 0; j--) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String s = b.toString();
      assertThat(Ids.isId(s)).as(s).isEqualTo(Ids.ID.matcher(s).matches());
      assertThat(Ids.isTeam(s)).as(s).isEqualTo(Ids.TEAM.matcher(s).matches());
    }
    assertThat(Ids.isId("a".repeat(128))).isTrue();
    assertThat(Ids.isId("a".repeat(129))).isFalse();
  }

  @Test
  void realIdsPass() {
    for (String ok :
        List.of(
            "GPU-5fa4e1a2-8c1b-7d3e-2f90-0a1b2c3d4e5f",
            "MIG-GPU-5fa4e1a2-8c1b-7d3e-2f90-0a1b2c3d4e5f/1/0",
            "exaone-4.0-32b",
            "exp/7",
            "trainer-7f9c-0@node-12.cluster.local",
            "kobest_hellaswag",
            "v=2")) {
      assertThat(id(ok)).as(ok).isEmpty();
    }
    List<String> why = new ArrayList<>();
    Ids.team(why, "lg-ai-research");
    assertThat(why).isEmpty();
  }

  @Test
  void idsThatCouldBreakOutOfQuotedSqlOrFloodAreRefusedWithAShortReason() {
    assertThat(id("x' OR team != 'upstage")).singleElement().asString().contains("is not an id");
    assertThat(id("a\\b")).hasSize(1);
    assertThat(id("run 1")).hasSize(1);
    assertThat(id("")).hasSize(1);
    assertThat(id(null)).singleElement().asString().contains("(none)");
    assertThat(id("bad\u0000id")).singleElement().asString().contains("\\u0000");
    List<String> long10k = id("r".repeat(10_000));
    assertThat(long10k).singleElement().asString().contains("(10000 characters)");
    assertThat(long10k.get(0).length()).isLessThan(200);
    List<String> why = new ArrayList<>();
    Ids.team(why, "Upstage");
    Ids.team(why, "a".repeat(64));
    assertThat(why).hasSize(2);
  }
}
