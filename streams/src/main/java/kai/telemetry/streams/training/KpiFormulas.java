package kai.telemetry.streams.training;

/** The formulas behind the training KPIs (docs/KPIS.md), in one place. */
public final class KpiFormulas {
  private KpiFormulas() {}

  /** PaLM appendix B: 6N + 12 L H Q T FLOPs per token (forward and backward, with attention). */
  public static double flopsPerToken(
      long parameters, int layers, int heads, int headDim, int seqLen) {
    return 6.0 * parameters + 12.0 * layers * heads * headDim * seqLen;
  }

  /**
   * Peak dense BF16 FLOP/s of one GPU of {@code type}, matched exactly ({@link
   * kai.telemetry.schemas.GpuPeaks}), or null for a model the reference does not know.
   */
  public static Double peakFlops(String gpuType) {
    return kai.telemetry.schemas.GpuPeaks.peakFlops(gpuType);
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
