package kai.telemetry.schemas;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import kai.telemetry.events.EvaluationKind;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.reference.CategoryRule;
import kai.telemetry.reference.CategoryScoring;
import kai.telemetry.reference.CategorySource;
import kai.telemetry.reference.EvaluationRules;

/**
 * The scored categories of a phase, as the rules give them: the one reading the scoreboard and the
 * program office's commands share. Rules that list no categories mean the five of the first phase,
 * with the points of their fixed fields.
 */
public final class PhaseCategories {
  public static final String NIA = "nia";
  public static final String GLOBAL_COMMON = "global_common";
  public static final String GLOBAL_INDIVIDUAL = "global_individual";
  public static final String EXPERT = "expert";
  public static final String USER = "user";

  /**
   * The category of a published evaluation that replaces all benchmark categories together (the
   * points of the whole benchmark block, as phase 1 published them).
   */
  public static final String ALL_BENCHMARKS = "benchmark";

  /** A category id: lower-case letters, digits and '_', starting with a letter, at most 63. */
  public static final Pattern ID = Pattern.compile("[a-z][a-z0-9_]{0,62}");

  private PhaseCategories() {}

  /** The categories of {@code rules}, in their order. */
  public static List<CategoryRule> of(EvaluationRules rules) {
    if (!rules.getCategories().isEmpty()) {
      return rules.getCategories();
    }
    return List.of(
        rule(NIA, rules.getBenchmarkPointsNia(), CategorySource.CATALOGUE),
        rule(GLOBAL_COMMON, rules.getBenchmarkPointsGlobalCommon(), CategorySource.CATALOGUE),
        rule(
            GLOBAL_INDIVIDUAL,
            rules.getBenchmarkPointsGlobalIndividual(),
            CategorySource.TEAM_BENCHMARKS),
        rule(EXPERT, rules.getExpertPoints(), CategorySource.EVALUATION),
        rule(USER, rules.getUserPoints(), CategorySource.EVALUATION));
  }

  private static CategoryRule rule(String id, double points, CategorySource source) {
    return CategoryRule.newBuilder()
        .setId(id)
        .setPoints(points)
        .setSource(source)
        .setScoring(CategoryScoring.ABSOLUTE)
        .setBenchmarks(List.of())
        .build();
  }

  /** The category {@code e} scores: its own, or its kind's (expert, user, benchmark). */
  public static String of(EvaluationScore e) {
    if (e.getCategory() != null) {
      return e.getCategory();
    }
    return e.getKind() == EvaluationKind.BENCHMARK
        ? ALL_BENCHMARKS
        : e.getKind().name().toLowerCase(Locale.ROOT);
  }

  /** Whether the category's points come from benchmark results (computed, or published). */
  public static boolean fromBenchmarks(CategoryRule c) {
    return c.getSource() != CategorySource.EVALUATION;
  }
}
