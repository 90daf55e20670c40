package dev.sparkllm.serving;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.Generator;
import dev.sparkllm.training.model.BatchDecoder;
import dev.sparkllm.training.model.Gpt;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A model the server answers with: weights, tokenizer and the scheduler that decodes for it. The
 * {@link ModelRegistry} holds these by name; an adapter would be another entry sharing the base's
 * weights.
 */
final class TextModel implements AutoCloseable {
  final String name;
  final int contextLength;
  final int vocabSize;
  final int endOfText;
  private final NDManager manager;
  private final HuggingFaceTokenizer tokenizer;
  final Scheduler scheduler;

  private TextModel(
      String name,
      NDManager manager,
      Gpt model,
      HuggingFaceTokenizer tokenizer,
      int width,
      int maxQueue,
      ServeMetrics metrics) {
    this.name = name;
    this.manager = manager;
    this.tokenizer = tokenizer;
    this.contextLength = model.config().contextLength();
    this.vocabSize = model.config().vocabSize();
    long[] eot = tokenizer.encode("<|endoftext|>").getIds();
    this.endOfText = eot.length == 1 ? (int) eot[0] : -1;
    this.scheduler = new Scheduler(new BatchDecoder(model, width), maxQueue, metrics);
  }

  /** Loads a checkpoint (ours or a Hugging Face GPT-2 directory) and its tokenizer.json. */
  static TextModel load(
      String name, String checkpoint, Path tokenizerJson, ServeSettings s, ServeMetrics metrics) {
    NDManager manager = NDManager.newBaseManager();
    try {
      Gpt model = Generator.load(manager, checkpoint);
      HuggingFaceTokenizer tok =
          HuggingFaceTokenizer.builder()
              .optTokenizerPath(tokenizerJson)
              .optAddSpecialTokens(false)
              .optTruncation(false)
              .build();
      return new TextModel(name, manager, model, tok, s.maxBatch(), s.maxQueue(), metrics);
    } catch (IOException e) {
      manager.close();
      throw new SparkLlmException(
          "cannot load tokenizer "
              + tokenizerJson
              + ": "
              + e.getMessage()
              + "; pass tokenizer.json");
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  int[] encode(String text) {
    synchronized (tokenizer) {
      return Arrays.stream(tokenizer.encode(text).getIds()).mapToInt(l -> (int) l).toArray();
    }
  }

  String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    synchronized (tokenizer) {
      return tokenizer.decode(l);
    }
  }

  /** The text of one token, for /v1/score. */
  String token(int id) {
    return decode(new int[] {id});
  }

  @Override
  public void close() {
    scheduler.close();
    tokenizer.close();
    manager.close();
  }
}
