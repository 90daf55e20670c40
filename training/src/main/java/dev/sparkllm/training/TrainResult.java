package dev.sparkllm.training;

import java.util.List;

/** What a run did: losses per step (index 0 = step 1), validation losses, where it stopped. */
public record TrainResult(
    long finalStep,
    List<Double> trainLosses,
    List<double[]> valLosses,
    double bestValLoss,
    boolean stoppedEarly,
    String checkpoint,
    double tokensPerSecond) {
  public double lastTrainLoss() {
    return trainLosses.isEmpty() ? Double.NaN : trainLosses.get(trainLosses.size() - 1);
  }
}
