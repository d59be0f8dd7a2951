package kai.telemetry.producers.collect.traininglog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import kai.telemetry.events.TrainingScalar;
import kai.telemetry.events.TrainingStep;
import kai.telemetry.producers.collect.Fixtures;
import kai.telemetry.producers.collect.Problem;
import kai.telemetry.producers.collect.TextLines;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every training-log format, from fixtures written after each tool's output, with exact rows. */
class TrainingLogFormatsTest {
  private static final long START = Instant.parse("2026-03-02T09:00:00Z").toEpochMilli();
  private static final long READ = Instant.parse("2026-03-02T12:00:00Z").toEpochMilli();

  private static StepLineParser.Context finished(String runId) {
    return new StepLineParser.Context("sk-telecom", runId, null, new LogTime(START, false), 10, "");
  }

  /** Reads a fixture as a finished file: every line, the last one even without a newline. */
  static TrainingRecords lines(String format, StepLineParser.Context ctx, String text) {
    StepLineParser parser = StepLineParser.forFormat(format, ctx);
    TrainingRecords out = new TrainingRecords();
    TextLines lines = new TextLines(1 << 20, 0, 0);
    byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    List<TextLines.Line> all = new java.util.ArrayList<>(lines.feed(bytes, bytes.length));
    lines.end().ifPresent(all::add);
    for (TextLines.Line l : all) {
      parser.parse(l.text(), "f:" + l.number(), out);
    }
    parser.finish(out);
    return out;
  }

  private static TrainingScalar scalar(TrainingRecords r, String name, long step) {
    return r.scalars().stream()
        .filter(s -> s.getName().equals(name) && s.getStep() == step)
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no scalar " + name + " at " + step + ": " + r.scalars()));
  }

  /** A file of any size is read in bounded memory: records leave in batches as they gather. */
  @Test
  void recordsAreDrainedInBatchesAsTheyGather() {
    List<Integer> batches = new java.util.ArrayList<>();
    List<Long> seen = new java.util.ArrayList<>();
    TrainingRecords out =
        new TrainingRecords(
            3,
            r -> {
              batches.add(r.steps().size() + r.scalars().size() + r.problems().size());
              r.steps().forEach(x -> seen.add(x.getStep()));
            });
    StepLineParser p = StepLineParser.forFormat("jsonl", finished("run"));
    for (int i = 1; i <= 10; i++) {
      p.parse("{\"step\": " + i + ", \"loss\": 2.0, \"ts\": 1772442000}", "f:" + i, out);
    }
    p.parse("boot", "f:11", out);
    out.drain();
    assertThat(batches).containsExactly(3, 3, 3, 2); // the last with the problem of line 11
    assertThat(seen).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(out.steps()).isEmpty();
  }

  @Test
  void jsonlStepsKeepNanAndInfAndReportBadLines() {
    LogTime live = LogTime.live();
    live.readAt(READ);
    TrainingRecords p =
        lines(
            "jsonl",
            new StepLineParser.Context("lg-ai-research", "exaone-pt-run42", null, live, 500, ""),
            Fixtures.read("train-steps.jsonl"));
    assertThat(p.steps()).extracting(TrainingStep::getStep).containsExactly(1L, 2L, 3L, 4L, 7L);
    TrainingStep s1 = p.steps().get(0);
    assertThat(s1.getTsMs()).isEqualTo(1_762_178_531_250L);
    assertThat(s1.getLoss()).isEqualTo(11.0345);
    assertThat(s1.getLearningRate()).isEqualTo(3e-06);
    assertThat(s1.getTokens()).isEqualTo(4_194_304L);
    assertThat(s1.getTokensPerSec()).isEqualTo(1_048_576.0);
    assertThat(s1.getRunId()).isEqualTo("exaone-pt-run42");
    assertThat(p.steps().get(1).getLearningRate()).isEqualTo(6e-06);
    assertThat(p.steps().get(2).getTsMs())
        .isEqualTo(Instant.parse("2025-11-03T14:02:19.750Z").toEpochMilli());
    assertThat(p.steps().get(2).getLoss()).isNaN();
    assertThat(p.steps().get(2).getGradNorm()).isInfinite();
    assertThat(p.steps().get(3).getLoss()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(p.steps().get(3).getTsMs()).isEqualTo(1_762_178_544_000L);
    assertThat(p.steps().get(3).getRunId()).isEqualTo("exaone-pt-run42b");
    // Step 7 is in 2100: it parses, and the publisher rejects it as future.
    assertThat(kai.telemetry.schemas.Validation.check(p.steps().get(4), READ))
        .singleElement()
        .asString()
        .contains("in the future");
    assertThat(p.scalars()).isEmpty();
    assertThat(p.problems()).extracting(Problem::source).containsExactly("f:5", "f:6", "f:7");
    assertThat(p.problems().get(0).reason())
        .isEqualTo("no integer \"step\" (or \"global_step\", \"iteration\")");
    assertThat(p.problems().get(1).reason()).startsWith("not a JSON object");
    assertThat(p.problems().get(2).reason()).isEqualTo("\"loss\" 'nope' is not a number");
  }

  @Test
  void megatronDeepSpeedWithRankPrefixesSecondsWrappedRecordsAndValidation() {
    TrainingRecords r =
        lines("megatron", finished("ax-pt-8"), Fixtures.read("megatron-deepspeed.log"));
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(10L, 20L, 30L, 50L);
    TrainingStep s10 = r.steps().get(0);
    assertThat(s10.getLoss()).isEqualTo(11.02345);
    assertThat(s10.getLearningRate()).isEqualTo(1e-5);
    assertThat(s10.getGradNorm()).isEqualTo(8.123);
    assertThat(s10.getTokens()).isEqualTo(20_971_520L);
    assertThat(s10.getStepTimeMs()).isEqualTo(2050.0);
    assertThat(s10.getTokensPerSec()).isCloseTo(512 * 4096 / 2.05, offset(1e-6)); // actual seqlen
    assertThat(s10.getTsMs()).isEqualTo(START + 2050 * 10);
    assertThat(r.steps().get(1).getTsMs()).isEqualTo(START + 20_500 + 2000 * 10);
    // Iteration 30 was wrapped after its batch size: joined, not a step without loss.
    TrainingStep s30 = r.steps().get(2);
    assertThat(s30.getLoss()).isEqualTo(8.765432);
    assertThat(s30.getGradNorm()).isEqualTo(4.25);
    assertThat(s30.getTokens()).isEqualTo(62_914_560L);
    assertThat(s30.getTsMs()).isEqualTo(START + 40_500 + 2100 * 10);
    assertThat(r.steps().get(3).getLoss()).isEqualTo(7.5);
    assertThat(r.steps().get(3).getTsMs()).isEqualTo(START + 61_500 + 2000 * 20);

    assertThat(scalar(r, "load_balancing_loss", 20).getValue()).isEqualTo(0.01012);
    assertThat(scalar(r, "TFLOPs", 10).getValue()).isEqualTo(180.21);
    assertThat(scalar(r, "samples per second", 20).getValue()).isEqualTo(256.0);
    assertThat(scalar(r, "val/lm loss", 30).getValue()).isEqualTo(8.901234);
    assertThat(scalar(r, "val/lm loss PPL", 30).getValue()).isEqualTo(7337.0);
    assertThat(scalar(r, "val/lm loss", 30).getTsMs()).isEqualTo(s30.getTsMs());
    assertThat(r.scalars()).noneMatch(s -> s.getName().equals("lm loss"));

    // Iteration 40 ends where iteration 50 begins, without its loss: refused, not a NULL loss.
    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.source()).isEqualTo("f:9");
              assertThat(p.reason()).contains("cut off");
            });
    assertThat(r.skipped()).containsEntry("not a Megatron iteration or validation line", 3L);
  }

  @Test
  void megatronLocalTimestampsNamedValidationSetsAndThePipelineEnginesLoss() {
    StepLineParser.Context seoul =
        new StepLineParser.Context(
            "lg-ai-research",
            "exaone-5",
            null,
            new LogTime(null, false, java.time.ZoneId.of("Asia/Seoul")),
            500,
            "");
    TrainingRecords r =
        lines(
            "megatron",
            seoul,
            String.join(
                "\n",
                " [2026-03-02 18:00:05.123456] iteration      100/  10000 | consumed samples: 51200 |"
                    + " elapsed time per iteration (ms): 812.5 | learning rate: 3.0E-04 | global"
                    + " batch size: 512 | loss: 2.5E+00 | loss scale: 1.0 | number of skipped"
                    + " iterations: 0 | number of nan iterations: 0 |",
                " validation-wiki loss at iteration 100 on validation set | lm loss value:"
                    + " 2.6E+00 | lm loss PPL: 1.3E+01 |"));
    assertThat(r.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getTsMs())
                  .isEqualTo(Instant.parse("2026-03-02T09:00:05.123Z").toEpochMilli());
              assertThat(s.getLoss()).isEqualTo(2.5);
            });
    assertThat(scalar(r, "val-wiki/lm loss", 100).getValue()).isEqualTo(2.6);
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void megatronLiveLineWithoutTimeIsStampedWhenRead() {
    LogTime live = LogTime.live();
    live.readAt(READ);
    TrainingRecords r =
        lines(
            "megatron",
            new StepLineParser.Context("sk-telecom", "ax-pt-7", 4096, live, 500, ""),
            Fixtures.read("megatron-train.log"));
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(1L, 2L, 3L, 4L);
    assertThat(r.steps().get(0).getTsMs())
        .isEqualTo(Instant.parse("2025-11-03T14:02:11Z").toEpochMilli());
    assertThat(r.steps().get(2).getTsMs()).isEqualTo(READ);
    assertThat(r.steps().get(2).getLoss()).isNull(); // a skipped iteration, closed: no loss
    assertThat(scalar(r, "throughput per GPU (TFLOP/s/GPU)", 1).getValue()).isEqualTo(401.2);
    assertThat(r.problems()).extracting(Problem::source).containsExactly("f:8");
    assertThat(live.notes()).singleElement().asString().startsWith("1 records had no time");
  }

  @Test
  void finishedLogWithoutAnyTimeIsRefusedWithTheSetting() {
    TrainingRecords r =
        lines(
            "megatron",
            new StepLineParser.Context("sk-telecom", "r", null, new LogTime(null, false), 500, ""),
            " iteration 1/ 10 | lm loss: 2.0 | number of nan iterations: 0 |");
    assertThat(r.steps()).isEmpty();
    assertThat(r.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("log.start.time"));
  }

  @Test
  void moddedNanoGptValidationLinesRepeatAStepAsScalars() {
    TrainingRecords r = lines("nanogpt", finished("speedrun"), Fixtures.read("modded-nanogpt.log"));
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(1L, 2L, 3L, 126L);
    assertThat(r.steps().get(0).getLoss()).isNull();
    assertThat(r.steps().get(0).getTsMs()).isEqualTo(START + 24_512);
    assertThat(r.steps().get(2).getLoss()).isEqualTo(9.8123);
    assertThat(r.steps().get(3).getTsMs()).isEqualTo(START + 73_153);
    assertThat(r.scalars())
        .extracting(TrainingScalar::getName, TrainingScalar::getStep, TrainingScalar::getValue)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("val_loss", 0L, 10.8258),
            org.assertj.core.groups.Tuple.tuple("val_loss", 125L, 4.4242));
    assertThat(scalar(r, "val_loss", 125).getTsMs()).isEqualTo(START + 72_760);
    assertThat(r.problems()).isEmpty();
    assertThat(r.skipped()).containsEntry("not a nanoGPT / llm.c step or validation line", 1L);
  }

  @Test
  void nanoGptIterAndEvalLines() {
    TrainingRecords r = lines("nanogpt", finished("shakespeare"), Fixtures.read("nanogpt.log"));
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(0L, 10L, 20L);
    TrainingStep s10 = r.steps().get(1);
    assertThat(s10.getLoss()).isEqualTo(9.4812);
    assertThat(s10.getStepTimeMs()).isEqualTo(340.21);
    assertThat(s10.getTsMs()).isEqualTo(START + 23_457 + 3_402);
    assertThat(scalar(r, "mfu_pct", 10).getValue()).isEqualTo(30.87);
    assertThat(r.scalars()).noneMatch(s -> s.getName().equals("mfu_pct") && s.getStep() == 0);
    assertThat(scalar(r, "val_loss", 250).getValue()).isEqualTo(3.1507);
    assertThat(scalar(r, "train_loss_eval", 250).getValue()).isEqualTo(3.1021);
    assertThat(scalar(r, "val_loss", 0).getValue()).isEqualTo(10.9956);
  }

  @Test
  void llmcConsoleAndLogFile() {
    TrainingRecords c = lines("nanogpt", finished("gpt2-124m"), Fixtures.read("llmc.log"));
    assertThat(c.steps()).extracting(TrainingStep::getStep).containsExactly(1L, 2L);
    TrainingStep s1 = c.steps().get(0);
    assertThat(s1.getLoss()).isEqualTo(11.010977);
    assertThat(s1.getGradNorm()).isEqualTo(15.4248);
    assertThat(s1.getLearningRate()).isEqualTo(6e-6);
    assertThat(s1.getStepTimeMs()).isEqualTo(1047.37);
    assertThat(s1.getTokensPerSec()).isEqualTo(500_520.0);
    assertThat(scalar(c, "val_loss", 2).getValue()).isEqualTo(10.874512);

    TrainingRecords py =
        lines(
            "nanogpt",
            finished("gpt2-124m"),
            "step    1/74 | train loss 11.010977 | norm 15.4248 | lr 6.00e-06 | (1047.37 ms |"
                + " 500520 tok/s)");
    assertThat(py.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getLoss()).isEqualTo(11.010977);
              assertThat(s.getGradNorm()).isEqualTo(15.4248);
              assertThat(s.getStepTimeMs()).isEqualTo(1047.37);
              assertThat(s.getTokensPerSec()).isEqualTo(500_520.0);
            });

    TrainingRecords f = lines("nanogpt", finished("gpt2-124m"), Fixtures.read("llmc-main.log"));
    assertThat(f.steps()).extracting(TrainingStep::getStep).containsExactly(0L, 1L);
    assertThat(f.steps().get(1).getLoss()).isEqualTo(10.9152);
    assertThat(f.steps().get(1).getGradNorm()).isEqualTo(12.99);
    assertThat(scalar(f, "val_loss", 0).getValue()).isEqualTo(10.9876);
    assertThat(scalar(f, "eval", 250).getValue()).isEqualTo(0.2534);
  }

  @Test
  void hfTrainerConsoleDictsWithProgressBarsEvalAndSummary() {
    TrainingRecords r =
        lines("hf-trainer", finished("qwen-sft"), Fixtures.read("hf-trainer-console.log"));
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(10L, 20L);
    assertThat(r.steps().get(0).getLoss()).isEqualTo(2.3456);
    assertThat(r.steps().get(1).getGradNorm()).isEqualTo(0.9876); // tensor(...)
    assertThat(r.steps().get(1).getLearningRate()).isEqualTo(4.8e-5);
    assertThat(scalar(r, "eval_loss", 20).getValue()).isEqualTo(2.2222);
    // The summary's train_loss is the run's average: a scalar, never the last step's loss.
    assertThat(scalar(r, "train_loss", 20).getValue()).isEqualTo(2.2001);
    assertThat(r.steps().get(1).getLoss()).isEqualTo(2.1234);
    assertThat(scalar(r, "epoch", 10).getValue()).isEqualTo(0.1);
    assertThat(r.skipped()).containsEntry("no Trainer log dict on the line", 3L);
  }

  @Test
  void hfTrainerStateFile() throws IOException {
    TrainingRecords r = new TrainingRecords();
    TrainingFiles.trainerState(
        JsonlSteps.JSON.readTree(Fixtures.read("trainer_state.json")),
        "trainer_state.json",
        finished("qwen-sft"),
        r);
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(10L, 20L, 40L);
    assertThat(r.steps().get(1).getTokens()).isEqualTo(163_840L);
    assertThat(r.steps().get(2).getLoss()).isEqualTo(2.0);
    // Spread over train_runtime (400 s for 40 steps): step 20 is 200 s in.
    assertThat(r.steps().get(1).getTsMs()).isEqualTo(START + 200_000);
    assertThat(scalar(r, "eval_accuracy", 20).getValue()).isEqualTo(0.61);
    assertThat(scalar(r, "train_loss", 40).getValue()).isEqualTo(2.2);
    assertThat(scalar(r, "predict_loss", 40).getValue()).isEqualTo(2.35);
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void megatronGoldenValuesBothShapes() throws IOException {
    TrainingRecords a = new TrainingRecords();
    TrainingFiles.golden(
        JsonlSteps.JSON.readTree(Fixtures.read("megatron-golden-values.json")),
        "g.json",
        finished("gpt3-mcore"),
        a);
    // Value i of a list is iteration start + i x interval + 1; "nan" is padding, not a step.
    assertThat(a.steps()).extracting(TrainingStep::getStep).containsExactly(1L, 6L, 11L, 21L);
    assertThat(a.steps().get(3).getLoss()).isEqualTo(10.51);
    assertThat(scalar(a, "num-zeros", 11).getValue()).isEqualTo(1710.0);
    assertThat(a.skipped()).containsEntry("golden value \"nan\" (no value at that step)", 1L);
    assertThat(a.steps()).allMatch(s -> s.getTsMs() == START);

    TrainingRecords b = new TrainingRecords();
    TrainingFiles.golden(
        JsonlSteps.JSON.readTree(Fixtures.read("megatron-golden-values-v2.json")),
        "g2.json",
        finished("gpt3-mcore"),
        b);
    assertThat(b.steps())
        .extracting(TrainingStep::getLoss)
        .containsExactly(10.8583, 10.8546, 10.8591);
    assertThat(scalar(b, "iteration-time", 2).getValue()).isEqualTo(0.41);
  }

  @Test
  void jsonlValidationLinesAndSummariesAreScalars() {
    TrainingRecords r =
        lines(
            "jsonl",
            finished("run"),
            "{\"step\": 100, \"loss\": 2.5, \"ts\": 1772442000}\n"
                + "{\"step\": 100, \"val_loss\": 2.7, \"ts\": 1772442001}\n"
                + "{\"step\": 100, \"train_runtime\": 3600, \"train_loss\": 2.9, \"ts\": 1772442002}");
    assertThat(r.steps()).singleElement().satisfies(s -> assertThat(s.getLoss()).isEqualTo(2.5));
    assertThat(scalar(r, "val_loss", 100).getValue()).isEqualTo(2.7);
    assertThat(scalar(r, "train_loss", 100).getValue()).isEqualTo(2.9);
    assertThat(scalar(r, "train_runtime", 100).getTsMs()).isEqualTo(1_772_442_002_000L);
  }

  @Test
  void configuredPatternReadsANewTrainersLines() {
    StepLineParser.Context ctx =
        new StepLineParser.Context(
            "nc-ai",
            "varco-3",
            null,
            new LogTime(START, false),
            500,
            "step (?<step>\\d+) \\| loss (?<loss>\\S+) \\| val (?<val>\\S+)");
    TrainingRecords r =
        lines("pattern", ctx, "boot\n| step 100 | loss 2.31 | val 2.40 |\n| step x | loss 1 |");
    assertThat(r.steps())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getStep()).isEqualTo(100);
              assertThat(s.getLoss()).isEqualTo(2.31);
            });
    assertThat(scalar(r, "val", 100).getValue()).isEqualTo(2.40);
    assertThat(r.skipped()).containsEntry("the line does not match log.pattern", 2L);
    assertThatThrownBy(
            () ->
                StepLineParser.forFormat(
                    "pattern",
                    new StepLineParser.Context(
                        "nc-ai", "r", null, LogTime.live(), 500, "loss (?<loss>\\S+)")))
        .hasMessageContaining("'step'");
  }

  /**
   * Megatron-LM writes each tag at the iteration and then its copy against consumed samples: the
   * copies do not split the iteration's step. Keras-style subdirectories prefix their tags.
   */
  @Test
  void tensorBoardMegatronInterleavingAndSubdirectories(@TempDir Path dir) throws IOException {
    TfEventWriter m = new TfEventWriter();
    for (int it = 10; it <= 20; it += 10) {
      double wall = 1_772_442_000.0 + it;
      m.simple(wall, it, "learning-rate", 1e-4f * it);
      m.simple(wall, it * 512L, "learning-rate vs samples", 1e-4f * it);
      m.simple(wall, it, "lm loss", 10f - it / 10f);
      m.simple(wall, it * 512L, "lm loss vs samples", 10f - it / 10f);
      m.simple(wall, it, "grad-norm", 2f);
    }
    Files.write(dir.resolve("events.out.tfevents.1772442000.n1.1.0"), m.bytes());
    TfEventWriter v = new TfEventWriter();
    v.simple(1_772_442_030.0, 20, "epoch_loss", 9.5f);
    Files.createDirectories(dir.resolve("validation"));
    Files.write(dir.resolve("validation/events.out.tfevents.1772442000.n1.2.0"), v.bytes());

    TrainingRecords r = new TrainingRecords();
    TrainingFiles.read("tensorboard", dir, finished("gpt-mcore"), "", r);
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(10L, 20L);
    TrainingStep s20 = r.steps().get(1);
    assertThat(s20.getLoss()).isEqualTo(8.0);
    assertThat(s20.getLearningRate()).isCloseTo(2e-3, offset(1e-9));
    assertThat(s20.getGradNorm()).isEqualTo(2.0);
    assertThat(scalar(r, "lm loss vs samples", 10_240).getValue()).isEqualTo(8.0);
    assertThat(scalar(r, "validation/epoch_loss", 20).getValue()).isEqualTo(9.5);
    assertThat(r.problems()).isEmpty();
  }

  @Test
  void tensorBoardScalarsFromPyTorchAndTf2Writers(@TempDir Path dir) throws IOException {
    TfEventWriter w = new TfEventWriter();
    w.fileVersion(1_772_442_000.0);
    w.simple(1_772_442_010.5, 10, "train/loss", 2.5f);
    w.simple(1_772_442_010.5, 10, "train/learning_rate", 1e-4f);
    w.simple(1_772_442_010.5, 10, "train/grad_norm", 0.75f);
    w.tensorDouble(1_772_442_020.0, 20, "train/loss", 2.25);
    w.tensorFloatContent(1_772_442_020.0, 20, "eval/loss", 2.5f);
    w.histogramLikeTensor(1_772_442_020.0, 20, "weights");
    w.simple(1_772_442_030.0, 51200, "lm loss vs samples", 2.0f);
    Path file = dir.resolve("events.out.tfevents.1772442000.node-1.123.0");
    Files.write(file, w.bytes());

    TrainingRecords r = new TrainingRecords();
    TrainingFiles.read("tensorboard", dir, finished("tb-run"), "", r);
    assertThat(r.steps()).extracting(TrainingStep::getStep).containsExactly(10L, 20L);
    TrainingStep s10 = r.steps().get(0);
    assertThat(s10.getLoss()).isEqualTo(2.5);
    assertThat(s10.getLearningRate()).isCloseTo(1e-4, offset(1e-9));
    assertThat(s10.getGradNorm()).isEqualTo(0.75);
    assertThat(s10.getTsMs()).isEqualTo(1_772_442_010_500L);
    assertThat(r.steps().get(1).getLoss()).isEqualTo(2.25);
    assertThat(scalar(r, "eval/loss", 20).getValue()).isEqualTo(2.5);
    assertThat(scalar(r, "lm loss vs samples", 51200).getValue()).isEqualTo(2.0);
    assertThat(r.scalars()).noneMatch(s -> s.getName().equals("weights"));
    assertThat(r.problems()).isEmpty();

    // A file cut inside its last record, and one whose data was altered.
    byte[] whole = w.bytes();
    Files.write(file, java.util.Arrays.copyOf(whole, whole.length - 3));
    TrainingRecords cut = new TrainingRecords();
    TrainingFiles.read("tensorboard", file, finished("tb-run"), "", cut);
    assertThat(cut.steps()).hasSize(2);
    assertThat(cut.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("ends inside"));
    byte[] altered = whole.clone();
    altered[40] ^= 0x01;
    TrainingRecords bad = new TrainingRecords();
    new TensorBoardEvents(finished("tb-run"), "").read(new ByteArrayInputStream(altered), "e", bad);
    assertThat(bad.problems())
        .singleElement()
        .satisfies(p -> assertThat(p.reason()).contains("checksum"));
  }
}
