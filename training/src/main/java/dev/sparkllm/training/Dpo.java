package dev.sparkllm.training;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.sparkllm.training.model.Scalars;

/**
 * Direct Preference Optimization (Rafailov et al., 2023), the sigmoid loss as TRL computes it. With
 * the log-probabilities of the chosen (w) and rejected (l) responses under the policy π and the
 * frozen reference:
 *
 * <pre>
 *   reward_w = β·(log π(y_w|x) − log π_ref(y_w|x)) ;  reward_l likewise
 *   loss     = −log σ(reward_w − reward_l)            (mean over pairs)
 * </pre>
 *
 * and the per-evaluation figures TRL reports: the rewards, their margin and the preference accuracy
 * (the fraction of pairs whose chosen reward exceeds the rejected one).
 */
public final class Dpo {
  private Dpo() {}

  /**
   * The loss (scalar, autograd-tracked through the policy's terms) and the rewards (n,) of one
   * batch of n pairs; all inputs (n,) fp32.
   */
  public record Terms(NDArray loss, NDArray chosenRewards, NDArray rejectedRewards) {}

  public static Terms loss(
      NDArray policyChosen,
      NDArray policyRejected,
      NDArray refChosen,
      NDArray refRejected,
      double beta) {
    // Array operands only (Scalars), never mul(Number): these arrays carry gradients.
    NDArray chosen = policyChosen.sub(refChosen).mul(Scalars.of(policyChosen, beta));
    NDArray rejected = policyRejected.sub(refRejected).mul(Scalars.of(policyRejected, beta));
    // −log σ(z) = softplus(−z): PyTorch's softplus stays finite for any z, log(sigmoid) does not.
    NDArray loss = Activation.softPlus(chosen.sub(rejected).neg()).mean();
    return new Terms(loss, chosen, rejected);
  }

  /** What one evaluation (or step) of DPO reports, averaged over its pairs. */
  public record Stats(
      double loss,
      double accuracy,
      double margin,
      double chosenReward,
      double rejectedReward,
      long pairs) {

    /** Sums of the per-pair figures, to be averaged over pairs. */
    static final class Sums {
      private double loss;
      private double correct;
      private double margin;
      private double chosen;
      private double rejected;
      private long pairs;

      void add(Terms t) {
        float[] w = t.chosenRewards().toFloatArray();
        float[] l = t.rejectedRewards().toFloatArray();
        loss += t.loss().getFloat() * w.length;
        for (int i = 0; i < w.length; i++) {
          correct += w[i] > l[i] ? 1 : 0;
          margin += w[i] - l[i];
          chosen += w[i];
          rejected += l[i];
        }
        pairs += w.length;
      }

      Stats stats() {
        double n = Math.max(1, pairs);
        return pairs == 0
            ? new Stats(Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0)
            : new Stats(loss / n, correct / n, margin / n, chosen / n, rejected / n, pairs);
      }
    }
  }
}
