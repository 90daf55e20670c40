package dev.sparkllm.preprocessing.tokenize;

/**
 * Builds one padded row per instruction example: prompt ids, response ids, end-of-text, then
 * padding to {@code rowLength}. {@code loss_mask[i]} is 1 where id i is a response token or the
 * closing end-of-text (the model learns to answer and to stop), 0 on prompt and padding: the mask
 * is aligned with the ids, not with the targets. The trainer (training's {@code TokenData} and
 * {@code Trainer}) shifts it with the ids: inputs {@code ids[:-1]}, targets {@code ids[1:]} with
 * mask {@code mask[1:]}, and the loss is the mean over the targets whose mask is 1.
 *
 * <p>An example longer than a row is truncated on the configured side (right keeps its start, left
 * keeps its end) and counted; one with no response token left after truncation is dropped and
 * counted. So {@code promptTokens + responseTokens + eosTokens == writtenTokens + truncatedTokens +
 * droppedTokens}.
 */
public final class Padder {
  private final int rowLength;
  private final int eosId;
  private final int padId;
  private final boolean keepEnd;

  long examples;
  long promptTokens;
  long responseTokens;
  long eosTokens;
  long writtenTokens;
  long padTokens;
  long lossTokens;
  long truncatedExamples;
  long truncatedTokens;
  long droppedExamples;
  long droppedTokens;

  public Padder(int rowLength, int eosId, int padId, boolean truncateLeft) {
    this.rowLength = rowLength;
    this.eosId = eosId;
    this.padId = padId;
    this.keepEnd = truncateLeft;
  }

  /** {ids, mask} of length rowLength, or null if the example is dropped. */
  public int[][] build(int[] prompt, int[] response) {
    examples++;
    promptTokens += prompt.length;
    responseTokens += response.length;
    eosTokens++;
    int total = prompt.length + response.length + 1;
    int[] ids = new int[total];
    int[] mask = new int[total];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(response, 0, ids, prompt.length, response.length);
    ids[total - 1] = eosId;
    for (int i = prompt.length; i < total; i++) {
      mask[i] = 1;
    }
    int from = 0;
    int len = total;
    if (total > rowLength) {
      truncatedExamples++;
      truncatedTokens += total - rowLength;
      from = keepEnd ? total - rowLength : 0;
      len = rowLength;
    }
    int loss = 0;
    for (int i = from; i < from + len; i++) {
      loss += mask[i];
    }
    if (loss == 0) {
      droppedExamples++;
      droppedTokens += len;
      return null;
    }
    int[] outIds = new int[rowLength];
    int[] outMask = new int[rowLength];
    System.arraycopy(ids, from, outIds, 0, len);
    System.arraycopy(mask, from, outMask, 0, len);
    for (int i = len; i < rowLength; i++) {
      outIds[i] = padId;
    }
    writtenTokens += len;
    padTokens += rowLength - len;
    lossTokens += loss;
    return new int[][] {outIds, outMask};
  }
}
