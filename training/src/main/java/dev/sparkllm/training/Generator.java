package dev.sparkllm.training;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.model.Gpt;
import dev.sparkllm.training.model.Gpt2Weights;
import dev.sparkllm.training.model.GptConfig;
import dev.sparkllm.training.model.KvCache;
import dev.sparkllm.training.optim.Gradients;
import java.io.IOException;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Autoregressive decoding: greedy (temperature 0) or sampling with temperature, top-k and top-p
 * (nucleus), with a KV cache so each new token costs one position's forward pass. Past the context
 * window, the oldest tokens are dropped (the cache is rebuilt over the last {@code context}
 * tokens), exactly as decoding without a cache would crop its input.
 */
public final class Generator {

  /**
   * @param maxTokens tokens to generate at most
   * @param temperature 0 = greedy; otherwise logits are divided by it before sampling
   * @param topK keep the k most likely tokens (0 = all)
   * @param topP keep the smallest set whose probability reaches p (1.0 = all)
   * @param seed sampling seed
   * @param stopToken generation ends when this id is produced (not included); -1 = none
   * @param useKvCache false recomputes the whole window each step (for testing and debugging)
   */
  public record Options(
      int maxTokens,
      double temperature,
      int topK,
      double topP,
      long seed,
      int stopToken,
      boolean useKvCache) {
    public static Options greedy(int maxTokens) {
      return new Options(maxTokens, 0, 0, 1.0, 0, -1, true);
    }
  }

  private Generator() {}

  /**
   * A model from a checkpoint directory ({@code config.json} + {@code model.safetensors}: ours,
   * whose SHA-256 sums are verified, or a Hugging Face GPT-2 directory).
   */
  public static Gpt load(NDManager manager, String checkpoint) {
    try (Gradients.Mode noGrad = Gradients.disabled()) {
      Checkpoints.ModelFiles files = Checkpoints.readModel(checkpoint);
      String configPath = Storage.join(checkpoint, Checkpoints.HF_CONFIG);
      Map<String, Object> hf;
      try {
        hf = Json.MAPPER.readValue(files.config(), new TypeReference<>() {});
      } catch (IOException e) {
        throw new SparkLlmException(configPath + " is not valid JSON: " + e.getMessage());
      }
      Gpt model = Gpt.create(manager, GptConfig.fromHfConfig(hf));
      Gpt2Weights.load(model, files.model(), Storage.join(checkpoint, Checkpoints.MODEL));
      return model;
    }
  }

  /** Generated ids after {@code prompt} (the prompt itself is not repeated). */
  public static int[] generate(Gpt model, int[] prompt, Options o) {
    try (Gradients.Mode noGrad = Gradients.disabled()) {
      if (prompt.length == 0) {
        throw new SparkLlmException("empty prompt; give at least one token");
      }
      int ctx = model.config().contextLength();
      NDManager owner = model.namedParameters().get("wte.weight").getArray().getManager();
      ParameterStore ps = new ParameterStore(owner, false);
      Random random = new Random(o.seed());
      List<Integer> tokens = new ArrayList<>();
      for (int t : prompt) {
        tokens.add(t);
      }
      List<Integer> out = new ArrayList<>();
      try (NDManager gen = owner.newSubManager()) {
        KvCache cache = null;
        int fed = 0; // tokens of `tokens` already in the cache
        for (int i = 0; i < o.maxTokens(); i++) {
          float[] logits;
          try (NDManager step = gen.newSubManager()) {
            int[] input;
            if (o.useKvCache()) {
              if (cache == null || cache.length() + (tokens.size() - fed) > ctx) {
                if (cache != null) {
                  cache.close();
                }
                cache = new KvCache(gen, model.config().nLayer());
                fed = Math.max(0, tokens.size() - ctx);
              }
              input = ids(tokens, fed, tokens.size());
              fed = tokens.size();
            } else {
              input = ids(tokens, Math.max(0, tokens.size() - ctx), tokens.size());
            }
            NDArray x = step.create(input, new Shape(1, input.length));
            NDArray all = model.forward(ps, x, o.useKvCache() ? cache : null, false);
            logits =
                all.get(new NDIndex(0, input.length - 1))
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .toFloatArray();
          }
          int next = pick(logits, o, random);
          if (next == o.stopToken()) {
            break;
          }
          tokens.add(next);
          out.add(next);
        }
        if (cache != null) {
          cache.close();
        }
      }
      return out.stream().mapToInt(Integer::intValue).toArray();
    }
  }

  private static int[] ids(List<Integer> tokens, int from, int to) {
    int[] a = new int[to - from];
    for (int i = from; i < to; i++) {
      a[i - from] = tokens.get(i);
    }
    return a;
  }

  /** Greedy argmax, or a sample after temperature, top-k and top-p. */
  static int pick(float[] logits, Options o, Random random) {
    if (o.temperature() <= 0) {
      int best = 0;
      for (int i = 1; i < logits.length; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    Integer[] order = new Integer[logits.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> -logits[i]));
    int keep = o.topK() > 0 ? Math.min(o.topK(), order.length) : order.length;
    double max = logits[order[0]] / o.temperature();
    double[] p = new double[keep];
    double sum = 0;
    for (int r = 0; r < keep; r++) {
      p[r] = Math.exp(logits[order[r]] / o.temperature() - max);
      sum += p[r];
    }
    if (o.topP() < 1.0) {
      double cum = 0;
      int cut = keep;
      for (int r = 0; r < keep; r++) {
        cum += p[r] / sum;
        if (cum >= o.topP()) {
          cut = r + 1;
          break;
        }
      }
      keep = cut;
      sum = 0;
      for (int r = 0; r < keep; r++) {
        sum += p[r];
      }
    }
    double u = random.nextDouble() * sum;
    for (int r = 0; r < keep; r++) {
      u -= p[r];
      if (u <= 0) {
        return order[r];
      }
    }
    return order[keep - 1];
  }

  /**
   * Text in, text out with a Hugging Face {@code tokenizer.json}; stops at {@code <|endoftext|>}
   * when the tokenizer has it (overriding {@code o.stopToken}).
   */
  public static String generateText(Gpt model, String tokenizerJson, String prompt, Options o) {
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(Paths.get(tokenizerJson))
            .optAddSpecialTokens(false)
            .optTruncation(false)
            .build()) {
      Encoding enc = tok.encode(prompt);
      int[] ids = Arrays.stream(enc.getIds()).mapToInt(l -> (int) l).toArray();
      long[] eot = tok.encode("<|endoftext|>").getIds();
      int stop = eot.length == 1 ? (int) eot[0] : o.stopToken();
      Options withStop =
          new Options(
              o.maxTokens(), o.temperature(), o.topK(), o.topP(), o.seed(), stop, o.useKvCache());
      int[] generated = generate(model, ids, withStop);
      return tok.decode(Arrays.stream(generated).asLongStream().toArray());
    } catch (IOException e) {
      throw new SparkLlmException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage());
    }
  }
}
