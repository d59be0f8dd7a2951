package kai.telemetry.streams.program;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kai.telemetry.events.BenchmarkResult;
import kai.telemetry.events.DerivativeModel;
import kai.telemetry.events.EvaluationScore;
import kai.telemetry.events.Evaluator;
import kai.telemetry.kpis.BenchmarkStanding;
import kai.telemetry.kpis.PhaseScoreboard;
import kai.telemetry.kpis.PhaseStanding;
import kai.telemetry.reference.BenchmarkCategory;
import kai.telemetry.reference.BenchmarkInfo;
import kai.telemetry.reference.CategoryRule;
import kai.telemetry.reference.CategoryScoring;
import kai.telemetry.reference.CategorySource;
import kai.telemetry.reference.EvaluationRules;
import kai.telemetry.reference.TeamBenchmark;
import kai.telemetry.reference.TeamInfo;
import kai.telemetry.schemas.Keys;
import kai.telemetry.schemas.PhaseCategories;
import kai.telemetry.schemas.TeamPhases;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps the program's evaluation inputs (teams, catalogue, rules, latest official benchmark scores,
 * expert and user scores, derivative models) in stores and, whenever one changes, recomputes the
 * standings it affects and every phase's scoreboard. The inputs are few (a handful of teams, tens
 * of benchmarks), so recomputing everything is cheap and always consistent: a rule change or an
 * elimination is reflected at once.
 */
final class ScoreboardProcessor
    implements Processor<String, SpecificRecord, String, SpecificRecord> {
  static final String STORE = "program-inputs-store";
  static final String VERSION_STORE = "program-version-store";
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(ScoreboardProcessor.class);

  private ProcessorContext<String, SpecificRecord> context;
  private KeyValueStore<String, SpecificRecord> store;
  private KeyValueStore<String, Long> versions;

  @Override
  public void init(ProcessorContext<String, SpecificRecord> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    this.versions = context.getStateStore(VERSION_STORE);
  }

  @Override
  public void process(Record<String, SpecificRecord> record) {
    long ts = record.timestamp();
    switch (record.value()) {
      case TeamInfo t -> store.put("team/" + t.getId(), t);
      case BenchmarkInfo b -> store.put("benchmark/" + b.getId(), b);
      case EvaluationRules r -> {
        if (store.get(frozenKey(r.getPhase())) != null) {
          // A closed phase's rules are part of its final result: they no longer change.
          log.warn(
              "phase {} is closed; its rules are not changed (update at {} ignored)",
              r.getPhase(),
              r.getUpdatedMs());
          return;
        }
        store.put("rules/" + r.getPhase(), r);
      }
      case BenchmarkResult r -> {
        if (r.getEvaluator() != Evaluator.OFFICIAL || r.getSubtask()) {
          return; // the program's own evaluations only, and a benchmark's score, not a subtask's
        }
        String key = Keys.of("result", r.getTeam(), r.getBenchmark());
        BenchmarkResult previous = (BenchmarkResult) store.get(key);
        if (previous != null && previous.getTsMs() > r.getTsMs()) {
          return; // an older result arriving late does not replace the latest
        }
        store.put(key, r);
      }
      case EvaluationScore e ->
          store.put(
              Keys.of(
                  "evaluation", e.getTeam(), String.valueOf(e.getPhase()), PhaseCategories.of(e)),
              e);
      case DerivativeModel d -> store.put(Keys.of("derivative", d.getTeam(), d.getDerivative()), d);
      case null, default -> {
        return;
      }
    }
    recompute(ts);
  }

  /** Every recomputation gets a higher version, so the sink keeps the newest rows. */
  private long nextVersion() {
    Long current = versions.get("version");
    long v = current == null ? 1 : current + 1;
    versions.put("version", v);
    return v;
  }

  private <T> List<T> all(String prefix, Class<T> type) {
    List<T> out = new ArrayList<>();
    try (KeyValueIterator<String, SpecificRecord> it =
        store.prefixScan(prefix, new org.apache.kafka.common.serialization.StringSerializer())) {
      it.forEachRemaining(kv -> out.add(type.cast(kv.value)));
    }
    return out;
  }

  private void recompute(long ts) {
    long version = nextVersion();
    Map<String, BenchmarkInfo> catalogue = new HashMap<>();
    all("benchmark/", BenchmarkInfo.class).forEach(b -> catalogue.put(b.getId(), b));
    List<TeamInfo> teams = all("team/", TeamInfo.class);
    Map<String, TeamInfo> teamsById = new HashMap<>();
    teams.forEach(t -> teamsById.put(t.getId(), t));
    List<BenchmarkResult> results = all("result/", BenchmarkResult.class);
    List<EvaluationScore> evaluations = all("evaluation/", EvaluationScore.class);
    Map<String, Long> derivatives = new HashMap<>();
    all("derivative/", DerivativeModel.class)
        .forEach(d -> derivatives.merge(d.getTeam(), 1L, Long::sum));
    List<EvaluationRules> rules = all("rules/", EvaluationRules.class);
    // The target share of the frontier is the rules' (the newest phase's); none before any rules.
    Double target = rules.isEmpty() ? null : rules.get(rules.size() - 1).getFrontierTargetRatio();

    // Standings: every team's latest official result per benchmark, against the frontier.
    Map<String, List<BenchmarkStanding>> standingsByTeam = new HashMap<>();
    for (BenchmarkResult r : results) {
      BenchmarkInfo b = catalogue.get(r.getBenchmark());
      Double pct = pctOfFrontier(r, b);
      BenchmarkStanding s =
          BenchmarkStanding.newBuilder()
              .setTeam(r.getTeam())
              .setBenchmark(r.getBenchmark())
              .setCategory(b == null ? "OTHER" : b.getCategory().name())
              .setModel(r.getModel())
              .setCheckpoint(r.getCheckpoint())
              .setScore(r.getScore())
              .setScaleMax(r.getScaleMax())
              .setFrontierScore(b == null ? null : b.getFrontierScore())
              .setPctOfFrontier(pct)
              .setGapToTargetPct(pct == null || target == null ? null : target * 100 - pct)
              .setEvaluatedMs(r.getTsMs())
              .setVersion(version)
              .build();
      standingsByTeam.computeIfAbsent(r.getTeam(), t -> new ArrayList<>()).add(s);
      context.forward(new Record<>(Keys.of(r.getTeam(), r.getBenchmark()), s, ts));
    }

    for (EvaluationRules rule : rules) {
      int phase = rule.getPhase();
      if (store.get(frozenKey(phase)) != null) {
        continue; // closed: its rows were final when it closed
      }
      List<CategoryRule> categories = PhaseCategories.of(rule);
      List<TeamInfo> inPhase = new ArrayList<>();
      for (TeamInfo team : teams) {
        if (TeamPhases.inPhase(team, phase)) {
          inPhase.add(team); // not a team that joined later or left before this phase
        }
      }
      // Each team's attainment (0..1) per category; published points where the body published.
      Map<String, double[]> attainment = new HashMap<>();
      Map<String, boolean[]> published = new HashMap<>();
      for (TeamInfo team : inPhase) {
        double[] a = new double[categories.size()];
        boolean[] pub = new boolean[categories.size()];
        for (int i = 0; i < a.length; i++) {
          CategoryRule c = categories.get(i);
          Double given = fraction(evaluations, team.getId(), phase, c.getId());
          if (c.getSource() == CategorySource.EVALUATION) {
            a[i] = given == null ? 0 : given;
          } else if (given != null) {
            a[i] = given; // the evaluation body's published points for this category
            pub[i] = true;
          } else if (c.getSource() == CategorySource.TEAM_BENCHMARKS
              && !team.getIndividualBenchmarks().isEmpty()) {
            a[i] = teamAttainment(team, catalogue, results, rule);
          } else {
            a[i] =
                catalogueAttainment(
                    c, catalogue, standingsByTeam.getOrDefault(team.getId(), List.of()), rule);
          }
        }
        attainment.put(team.getId(), a);
        published.put(team.getId(), pub);
      }
      relativeToBest(categories, inPhase, phase, attainment, published);
      List<PhaseScoreboard.Builder> rows = new ArrayList<>();
      for (TeamInfo team : inPhase) {
        List<BenchmarkStanding> standings = standingsByTeam.getOrDefault(team.getId(), List.of());
        double[] a = attainment.get(team.getId());
        boolean[] pub = published.get(team.getId());
        List<String> ids = new ArrayList<>();
        List<Double> points = new ArrayList<>();
        List<Double> max = new ArrayList<>();
        List<String> publishedIds = new ArrayList<>();
        double bench = 0;
        double benchMax = 0;
        double evaluated = 0;
        for (int i = 0; i < a.length; i++) {
          CategoryRule c = categories.get(i);
          double p = c.getPoints() * a[i];
          ids.add(c.getId());
          points.add(p);
          max.add(c.getPoints());
          if (pub[i]) {
            publishedIds.add(c.getId());
          }
          if (PhaseCategories.fromBenchmarks(c)) {
            bench += p;
            benchMax += c.getPoints();
          } else {
            evaluated += p;
          }
        }
        // The evaluation body's published points for the whole benchmark block, where it
        // published them, replace the computed ones (its conversion from scores is not public).
        Double block = fraction(evaluations, team.getId(), phase, PhaseCategories.ALL_BENCHMARKS);
        if (block != null) {
          bench = benchMax * block;
          publishedIds.add(PhaseCategories.ALL_BENCHMARKS);
        }
        rows.add(
            PhaseScoreboard.newBuilder()
                .setPhase(phase)
                .setTeam(team.getId())
                .setTeamNameKo(team.getNameKo())
                .setTeamNameEn(team.getNameEn())
                .setTeamStatus(team.getStatus().name())
                .setBenchmarkPointsNia(pointsOf(ids, points, PhaseCategories.NIA))
                .setBenchmarkPointsGlobalCommon(
                    pointsOf(ids, points, PhaseCategories.GLOBAL_COMMON))
                .setBenchmarkPointsGlobalIndividual(
                    pointsOf(ids, points, PhaseCategories.GLOBAL_INDIVIDUAL))
                .setBenchmarkPoints(bench)
                .setExpertPoints(pointsOf(ids, points, PhaseCategories.EXPERT))
                .setUserPoints(pointsOf(ids, points, PhaseCategories.USER))
                .setTotal(bench + evaluated)
                .setFrontierIndex(frontierIndex(standings, null))
                .setFrontierIndexNia(frontierIndex(standings, BenchmarkCategory.NIA))
                .setFrontierIndexGlobalCommon(
                    frontierIndex(standings, BenchmarkCategory.GLOBAL_COMMON))
                .setFrontierIndexGlobalIndividual(
                    frontierIndex(standings, BenchmarkCategory.GLOBAL_INDIVIDUAL))
                .setDerivativeModels(derivatives.getOrDefault(team.getId(), 0L))
                .setComputedMs(ts)
                .setVersion(version)
                .setRank(0)
                .setPassed(false)
                .setEliminationLine(0)
                .setStatusReason(TeamPhases.leftIn(team, phase) ? statusReason(team) : null)
                .setCutTie(false)
                .setClosed(rule.getClosedMs() != null)
                .setBenchmarkPointsPublished(block != null)
                .setCategories(ids)
                .setCategoryPoints(points)
                .setCategoryMaxPoints(max)
                .setPublishedCategories(publishedIds));
      }
      rows.sort(
          Comparator.comparingDouble((PhaseScoreboard.Builder b) -> -b.getTotal())
              .thenComparing(PhaseScoreboard.Builder::getTeam));
      for (int i = 0; i < rows.size(); i++) {
        // Equal totals share the better rank.
        PhaseScoreboard.Builder b = rows.get(i);
        b.setRank(
            i > 0 && rows.get(i - 1).getTotal() == b.getTotal()
                ? rows.get(i - 1).getRank()
                : i + 1);
      }
      double line = decideAdvancing(rows, rule, teamsById);
      for (PhaseScoreboard.Builder b : rows) {
        b.setEliminationLine(line);
        context.forward(new Record<>(Keys.of(String.valueOf(phase), b.getTeam()), b.build(), ts));
      }
      if (rule.getClosedMs() != null) {
        // The phase's final standings: its teams' standings as they were when it closed.
        for (TeamInfo team : inPhase) {
          for (BenchmarkStanding s : standingsByTeam.getOrDefault(team.getId(), List.of())) {
            PhaseStanding last =
                PhaseStanding.newBuilder()
                    .setPhase(phase)
                    .setTeam(s.getTeam())
                    .setBenchmark(s.getBenchmark())
                    .setCategory(s.getCategory())
                    .setModel(s.getModel())
                    .setCheckpoint(s.getCheckpoint())
                    .setScore(s.getScore())
                    .setScaleMax(s.getScaleMax())
                    .setFrontierScore(s.getFrontierScore())
                    .setPctOfFrontier(s.getPctOfFrontier())
                    .setGapToTargetPct(s.getGapToTargetPct())
                    .setEvaluatedMs(s.getEvaluatedMs())
                    .setVersion(s.getVersion())
                    .build();
            context.forward(
                new Record<>(
                    Keys.of(String.valueOf(phase), s.getTeam(), s.getBenchmark()), last, ts));
          }
        }
        store.put(frozenKey(phase), rule); // nothing changes this phase's rows from now on
        log.info("phase {} closed: its scoreboard of {} teams is final", phase, rows.size());
      }
    }
  }

  /**
   * The result's score as a percentage of the catalogue's frontier score, each on its own scale: a
   * harness that reports 53.1 of 100 and a catalogue that says 0.80 of 1 compare as 0.531 / 0.80.
   * Null without a frontier reference or a usable scale.
   */
  static Double pctOfFrontier(BenchmarkResult r, BenchmarkInfo b) {
    if (b == null || b.getFrontierScore() == null || b.getFrontierScore() <= 0) {
      return null;
    }
    if (!(r.getScaleMax() > 0) || !(b.getScaleMax() > 0)) {
      return null;
    }
    double score = r.getScore() / r.getScaleMax();
    double frontier = b.getFrontierScore() / b.getScaleMax();
    return score / frontier * 100;
  }

  private static String frozenKey(int phase) {
    return "frozen/" + phase;
  }

  private static String statusReason(TeamInfo team) {
    String kind =
        team.getElimination() != null ? team.getElimination().name() : team.getStatus().name();
    return team.getEliminationReason() == null || team.getEliminationReason().isBlank()
        ? kind
        : kind + ": " + team.getEliminationReason();
  }

  /**
   * Sets {@code passed} and {@code cut_tie} on the phase's rows (sorted by total) and returns the
   * elimination line. A team that left in this phase never passes and takes no place. The others
   * pass when at or above the threshold and, with a rank cut of N, among the first N of them; when
   * the N-th and the next share a total, the rules cannot break the tie: every team on that total
   * is flagged {@code cut_tie} and none of them passes until the program office decides (by
   * eliminating one), so the cap is never exceeded.
   */
  private static double decideAdvancing(
      List<PhaseScoreboard.Builder> rows, EvaluationRules rule, Map<String, TeamInfo> teams) {
    List<PhaseScoreboard.Builder> candidates = new ArrayList<>();
    for (PhaseScoreboard.Builder b : rows) {
      TeamInfo t = teams.get(b.getTeam());
      if (t != null
          && !TeamPhases.leftIn(t, b.getPhase())
          && b.getTotal() >= rule.getPassThreshold()) {
        candidates.add(b);
      }
    }
    double line = rule.getPassThreshold();
    Integer cap = rule.getTeamsAdvancing();
    if (cap == null || cap <= 0 || candidates.size() <= cap) {
      candidates.forEach(b -> b.setPassed(true));
      return line;
    }
    double last = candidates.get(cap - 1).getTotal();
    line = Math.max(line, last);
    boolean tie = candidates.get(cap).getTotal() == last;
    for (PhaseScoreboard.Builder b : candidates) {
      if (tie && b.getTotal() == last) {
        b.setCutTie(true);
      } else if (b.getTotal() > last || (!tie && b.getTotal() == last)) {
        b.setPassed(true);
      }
    }
    if (tie) {
      log.warn(
          "phase {}: teams tied at {} on the advancing cut of {}; none of them passes until the"
              + " program office decides",
          rule.getPhase(),
          last,
          cap);
    }
    return line;
  }

  /**
   * Mean over the category's benchmarks (its list, or the catalogue's benchmarks of its category
   * that have a frontier reference) of min(1, pct_of_frontier / target): reaching the target share
   * of the frontier earns the full points; a benchmark without an official score counts 0.
   */
  private static double catalogueAttainment(
      CategoryRule category,
      Map<String, BenchmarkInfo> catalogue,
      List<BenchmarkStanding> standings,
      EvaluationRules rule) {
    Set<String> benchmarks = new HashSet<>(category.getBenchmarks());
    if (benchmarks.isEmpty()) {
      for (BenchmarkInfo b : catalogue.values()) {
        if (b.getCategory().name().equalsIgnoreCase(category.getId())
            && b.getFrontierScore() != null) {
          benchmarks.add(b.getId());
        }
      }
    }
    if (benchmarks.isEmpty()) {
      return 0;
    }
    Map<String, Double> pct = new HashMap<>();
    for (BenchmarkStanding s : standings) {
      if (s.getPctOfFrontier() != null) {
        pct.put(s.getBenchmark(), s.getPctOfFrontier());
      }
    }
    double sum = 0;
    for (String b : benchmarks) {
      Double p = pct.get(b);
      sum += p == null ? 0 : Math.min(1.0, p / 100 / rule.getFrontierTargetRatio());
    }
    return sum / benchmarks.size();
  }

  /**
   * Mean over the team's own benchmarks (fixed by the program file) of min(1, share of its target
   * model's score / target): each result against the team's target, not the frontier, and a
   * benchmark without an official result counts 0, so submitting fewer earns nothing.
   */
  private static double teamAttainment(
      TeamInfo team,
      Map<String, BenchmarkInfo> catalogue,
      List<BenchmarkResult> results,
      EvaluationRules rule) {
    List<TeamBenchmark> own = team.getIndividualBenchmarks();
    double sum = 0;
    for (TeamBenchmark tb : own) {
      BenchmarkInfo b = catalogue.get(tb.getBenchmark());
      Double reference = tb.getTargetScore() != null ? tb.getTargetScore() : null;
      if (reference == null && b != null) {
        reference = b.getFrontierScore();
      }
      if (b == null || reference == null || !(reference > 0) || !(b.getScaleMax() > 0)) {
        continue; // no reference to compare with: counts 0
      }
      for (BenchmarkResult r : results) {
        if (r.getTeam().equals(team.getId())
            && r.getBenchmark().equals(tb.getBenchmark())
            && r.getScaleMax() > 0) {
          double share = (r.getScore() / r.getScaleMax()) / (reference / b.getScaleMax());
          sum += Math.max(0, Math.min(1.0, share / rule.getFrontierTargetRatio()));
        }
      }
    }
    return own.isEmpty() ? 0 : sum / own.size();
  }

  /**
   * RELATIVE categories: each team's attainment over the best among the phase's teams that stay in
   * it (a team leaving in the phase does not set the bar), so the best earns the full points.
   * Published points are kept as published.
   */
  private static void relativeToBest(
      List<CategoryRule> categories,
      List<TeamInfo> teams,
      int phase,
      Map<String, double[]> attainment,
      Map<String, boolean[]> published) {
    for (int i = 0; i < categories.size(); i++) {
      if (categories.get(i).getScoring() != CategoryScoring.RELATIVE) {
        continue;
      }
      double best = 0;
      for (TeamInfo t : teams) {
        if (!TeamPhases.leftIn(t, phase) && !published.get(t.getId())[i]) {
          best = Math.max(best, attainment.get(t.getId())[i]);
        }
      }
      for (TeamInfo t : teams) {
        if (!published.get(t.getId())[i]) {
          double[] a = attainment.get(t.getId());
          a[i] = best > 0 ? Math.min(1.0, a[i] / best) : 0;
        }
      }
    }
  }

  private static double pointsOf(List<String> ids, List<Double> points, String id) {
    int i = ids.indexOf(id);
    return i < 0 ? 0 : points.get(i);
  }

  /** {@code min(1, score / max_score)} of the team's evaluation of a category in the phase. */
  private static Double fraction(
      List<EvaluationScore> evaluations, String team, int phase, String category) {
    for (EvaluationScore e : evaluations) {
      if (e.getTeam().equals(team)
          && e.getPhase() == phase
          && PhaseCategories.of(e).equals(category)
          && e.getMaxScore() > 0) {
        return Math.max(0, Math.min(1.0, e.getScore() / e.getMaxScore()));
      }
    }
    return null;
  }

  private static Double frontierIndex(
      List<BenchmarkStanding> standings, BenchmarkCategory category) {
    double sum = 0;
    int n = 0;
    for (BenchmarkStanding s : standings) {
      if (s.getPctOfFrontier() != null
          && (category == null || s.getCategory().equals(category.name()))) {
        sum += s.getPctOfFrontier();
        n++;
      }
    }
    return n == 0 ? null : sum / n;
  }
}
