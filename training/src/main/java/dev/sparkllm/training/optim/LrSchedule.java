package dev.sparkllm.training.optim;

/**
 * Linear warmup, then cosine decay to {@code minLr}, then flat (nanoGPT's {@code get_lr}; steps
 * count from 0).
 *
 * @param peakLr learning rate reached at the end of warmup
 * @param minLr floor of the decay
 * @param warmupSteps steps of linear warmup: lr = peak·(step+1)/(warmup+1)
 * @param decaySteps step at which the cosine reaches {@code minLr}
 */
public record LrSchedule(double peakLr, double minLr, int warmupSteps, int decaySteps) {

  public double lr(long step) {
    if (step < warmupSteps) {
      return peakLr * (step + 1) / (warmupSteps + 1);
    }
    if (step >= decaySteps) {
      return minLr;
    }
    double ratio = (double) (step - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
    double coeff = 0.5 * (1.0 + Math.cos(Math.PI * ratio));
    return minLr + coeff * (peakLr - minLr);
  }
}
