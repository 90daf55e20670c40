package dev.sparkllm.evaluation;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.Generator;
import dev.sparkllm.training.model.Gpt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One model (and optionally its tokenizer) loaded inside a Spark task: scores token sequences,
 * continuations and generates. Loaded once per partition and closed at its end.
 */
final class ModelScorer implements AutoCloseable {
  private final NDManager manager;
  private final Gpt model;
  private final ParameterStore ps;
  private final boolean ownsManager;
  private final boolean previousGradMode;
  private HuggingFaceTokenizer tokenizer;
  private Path tokenizerCopy;
  private int eot = -1;

  ModelScorer(String checkpoint) {
    // PyTorch's grad mode is per thread and on by default: DJL turns it off only on the thread
    // that started the engine, so in a Spark task thread loading weights into parameters (an
    // in-place write to leaves that require grad) would fail, and forward passes would record.
    // The engine must be loaded before its JNI calls: a fresh executor JVM has not loaded it yet.
    ai.djl.engine.Engine.getEngine("PyTorch");
    previousGradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    manager = NDManager.newBaseManager();
    try {
      model = Generator.load(manager, checkpoint);
    } catch (RuntimeException e) {
      manager.close();
      JniUtils.setGradMode(previousGradMode);
      throw e;
    }
    ps = new ParameterStore(manager, false);
    ownsManager = true;
  }

  /** Same as {@link #ModelScorer(String)}, for a model built in memory (tests). */
  ModelScorer(Gpt model) {
    this.manager = model.namedParameters().get("wte.weight").getArray().getManager();
    this.model = model;
    this.ps = new ParameterStore(manager, false);
    this.ownsManager = false;
    this.previousGradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  int contextLength() {
    return model.config().contextLength();
  }

  /** Loads {@code tokenizer.json} (copied to a local file first when it is on object storage). */
  void loadTokenizer(String tokenizerJson) {
    try {
      Path local;
      if (tokenizerJson.startsWith("s3a://") || tokenizerJson.startsWith("hdfs://")) {
        tokenizerCopy = Files.createTempFile("tokenizer", ".json");
        Files.write(tokenizerCopy, Storage.readBytes(tokenizerJson));
        local = tokenizerCopy;
      } else {
        local = Path.of(tokenizerJson.replaceFirst("^file:(//)?", ""));
      }
      tokenizer =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(local)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .build();
      long[] e = tokenizer.encode("<|endoftext|>").getIds();
      eot = e.length == 1 ? (int) e[0] : -1;
    } catch (IOException e) {
      throw new SparkLlmException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage());
    }
  }

  int[] encode(String text) {
    return Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(l -> (int) l).toArray();
  }

  String decode(int[] ids) {
    return tokenizer.decode(Arrays.stream(ids).asLongStream().toArray());
  }

  /** Summed NLL, token count and argmax hits over a batch of rows of seq_len+1 ids. */
  record LmStats(double nll, long tokens, long correct) {}

  /**
   * Scores rows as (inputs = ids[0..n-1], targets = ids[1..n]). Rows longer than the context are
   * scored in windows of the context length that start every {@code stride} tokens; each window
   * scores only the targets no earlier window scored, so every target counts once and (with a
   * stride below the context) is predicted from at least context - stride earlier tokens: the
   * sliding-window perplexity of Hugging Face's perplexity guide. {@code stride} 0 means
   * non-overlapping windows.
   */
  LmStats scoreRows(int[][] rows, int stride) {
    return scoreRows(rows, null, stride);
  }

  /**
   * As {@link #scoreRows(int[][], int)}, counting only the targets whose {@code masks} entry (the
   * tokenize job's {@code loss_mask}, aligned with the ids) is 1: padded rows are scored on their
   * responses, as they were trained. {@code masks} null counts every target.
   */
  LmStats scoreRows(int[][] rows, int[][] masks, int stride) {
    int ctx = contextLength();
    int n = rows[0].length - 1;
    int step = stride > 0 ? Math.min(stride, ctx) : ctx;
    double nll = 0;
    long tokens = 0;
    long correct = 0;
    int prevEnd = 0;
    for (int begin = 0; prevEnd < n; begin += step) {
      int end = Math.min(begin + ctx, n);
      int len = end - begin;
      int fresh = end - prevEnd;
      int[] in = new int[rows.length * len];
      int[] tg = new int[rows.length * len];
      float[] w = new float[rows.length * len];
      long counted = 0;
      for (int b = 0; b < rows.length; b++) {
        System.arraycopy(rows[b], begin, in, b * len, len);
        System.arraycopy(rows[b], begin + 1, tg, b * len, len);
        for (int j = 0; j < len; j++) {
          w[b * len + j] = masks == null ? 1f : masks[b][begin + 1 + j];
          if (j >= len - fresh) {
            counted += (long) w[b * len + j];
          }
        }
      }
      try (NDManager step2 = manager.newSubManager()) {
        NDArray x = step2.create(in, new Shape(rows.length, len));
        NDArray targets =
            step2.create(tg, new Shape(rows.length, len)).toType(DataType.INT64, false);
        NDIndex last = new NDIndex(":, {}:", len - fresh);
        NDArray logits =
            model.forward(ps, x, null, false).toType(DataType.FLOAT32, false).get(last);
        targets = targets.get(last);
        NDArray weight = step2.create(w, new Shape(rows.length, len)).get(last);
        NDArray logp = logits.logSoftmax(-1).gather(targets.expandDims(-1), -1).squeeze(-1);
        nll -= logp.mul(weight).toType(DataType.FLOAT64, false).sum().getDouble();
        NDArray hits = logits.argMax(-1).toType(DataType.INT64, false).eq(targets);
        correct += (long) hits.toType(DataType.FLOAT32, false).mul(weight).sum().getFloat();
        tokens += counted;
      }
      prevEnd = end;
    }
    return new LmStats(nll, tokens, correct);
  }

  /**
   * Sum of log p(continuation | context): the lm-evaluation-harness loglikelihood. When the two do
   * not fit the context, the oldest context tokens are dropped.
   */
  double logLikelihood(int[] context, int[] continuation) {
    int ctx = contextLength();
    int[] all = new int[context.length + continuation.length];
    System.arraycopy(context, 0, all, 0, context.length);
    System.arraycopy(continuation, 0, all, context.length, continuation.length);
    int from = Math.max(0, all.length - (ctx + 1));
    int[] window = Arrays.copyOfRange(all, from, all.length);
    int len = window.length - 1;
    int keep = Math.min(continuation.length, len);
    try (NDManager step = manager.newSubManager()) {
      NDArray x = step.create(Arrays.copyOfRange(window, 0, len), new Shape(1, len));
      NDArray targets =
          step.create(Arrays.copyOfRange(window, 1, len + 1), new Shape(1, len))
              .toType(DataType.INT64, false);
      double[] logp =
          model
              .forward(ps, x, null, false)
              .toType(DataType.FLOAT32, false)
              .logSoftmax(-1)
              .gather(targets.expandDims(-1), -1)
              .toType(DataType.FLOAT64, false)
              .toDoubleArray();
      double sum = 0;
      for (int i = len - keep; i < len; i++) {
        sum += logp[i];
      }
      return sum;
    }
  }

  /** Greedy continuation of {@code prompt}, stopping at {@code <|endoftext|>}. */
  String generate(String prompt, int maxNewTokens) {
    int[] ids = encode(prompt);
    if (ids.length == 0) {
      ids = new int[] {Math.max(eot, 0)};
    }
    int[] out =
        Generator.generate(
            model, ids, new Generator.Options(maxNewTokens, 0, 0, 1.0, 0, eot, true));
    return decode(out);
  }

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
    if (tokenizerCopy != null) {
      try {
        Files.deleteIfExists(tokenizerCopy);
      } catch (IOException ignored) {
        // a temp file; the OS cleans it eventually
      }
    }
    if (ownsManager) {
      manager.close();
    }
    JniUtils.setGradMode(previousGradMode);
  }
}
