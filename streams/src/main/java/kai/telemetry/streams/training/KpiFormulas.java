package kai.telemetry.streams.training;

import java.util.Locale;
import java.util.Map;

/** The formulas behind the training KPIs (docs/KPIS.md), in one place. */
public final class KpiFormulas {
  /** Peak dense BF16 FLOP/s per GPU, vendor figures (PROGRAM.md). */
  static final Map<String, Double> PEAK_BF16_FLOPS =
      Map.of("A100", 312e12, "H100", 989e12, "H200", 989e12, "B200", 2.25e15);

  private KpiFormulas() {}

  /** PaLM appendix B: 6N + 12 L H Q T FLOPs per token (forward and backward, with attention). */
  public static double flopsPerToken(
      long parameters, int layers, int heads, int headDim, int seqLen) {
    return 6.0 * parameters + 12.0 * layers * heads * headDim * seqLen;
  }

  /** Peak dense BF16 FLOP/s of one GPU of {@code type} (matched on the model name), or null. */
  public static Double peakFlops(String gpuType) {
    if (gpuType == null) {
      return null;
    }
    String t = gpuType.toUpperCase(Locale.ROOT);
    for (Map.Entry<String, Double> e : PEAK_BF16_FLOPS.entrySet()) {
      if (t.contains(e.getKey())) {
        return e.getValue();
      }
    }
    return null;
  }

  /** MFU = tokens/s x FLOPs per token / total peak FLOP/s. */
  public static Double mfu(Double tokensPerSec, Double flopsPerToken, Double totalPeakFlops) {
    if (tokensPerSec == null
        || flopsPerToken == null
        || totalPeakFlops == null
        || totalPeakFlops <= 0) {
      return null;
    }
    return tokensPerSec * flopsPerToken / totalPeakFlops;
  }

  /** TensorBoard's debiased EMA: y_t = s_t / (1 - w^t). */
  public static double debiased(double ema, long n, double weight) {
    return ema / (1 - Math.pow(weight, n));
  }
}
