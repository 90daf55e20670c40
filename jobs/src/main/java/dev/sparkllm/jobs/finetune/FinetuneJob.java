package dev.sparkllm.jobs.finetune;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.OutputDir;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.preprocessing.finetune.ChatTemplate;
import dev.sparkllm.preprocessing.finetune.FinetuneData;
import dev.sparkllm.preprocessing.finetune.FinetuneSettings;
import dev.sparkllm.preprocessing.tokenize.TokenizeJob;
import dev.sparkllm.preprocessing.tokenize.TokenizeSettings;
import dev.sparkllm.training.Checkpoints;
import dev.sparkllm.training.FineTuning;
import dev.sparkllm.training.TrainResult;
import dev.sparkllm.training.Training;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code bin/spark-llm finetune}: JSONL rows → checked and rendered examples ({@code
 * RUN/prepared/}: examples, rejected rows, stats.json) → padded token shards with the base model's
 * tokenizer ({@code RUN/data/}, the tokenize job's layout) → training from the base's weights
 * through {@link Training#run} (1 or N replicas, resume and early stopping as for {@code train}),
 * checkpoints under {@code RUN/checkpoints/} carrying the tokenizer and, after chat data, the chat
 * template.
 *
 * <p>Resuming ({@code --resume}, or {@code --auto-resume} with data already tokenized) reuses
 * {@code RUN/data/} as it is, so a resumed run sees exactly the batches of an uninterrupted one.
 */
public final class FinetuneJob {
  private static final Logger LOG = LoggerFactory.getLogger(FinetuneJob.class);

  private FinetuneJob() {}

  /**
   * @param resume continue from {@code RUN/checkpoints/latest}
   * @param reuseData use {@code RUN/data/} when it is complete instead of preparing it again
   */
  public static TrainResult run(
      SparkSession spark,
      Config config,
      BaseModel base,
      List<String> data,
      String output,
      boolean resume,
      boolean reuseData) {
    FinetuneMethod method = FinetuneMethod.parse(config.getString("finetune.method"));
    List<String> inputs = new ArrayList<>(data);
    inputs.add(base.dir());
    // Overlap with the inputs is refused before any work; the lock is taken again by each stage.
    OutputDir.inPlace("finetune", output, inputs).close();
    if (!resume && Checkpoints.latest(output) != null) {
      throw new SparkLlmException(
          "output "
              + output
              + " already holds checkpoints; pass --resume to continue that run"
              + " or choose another --output");
    }
    // The one dispatch point of the methods: what the data is, and what train's loop trains.
    FinetuneData.Kind kind =
        method == FinetuneMethod.DPO ? FinetuneData.Kind.PREFERENCE : FinetuneData.Kind.INSTRUCTION;
    FineTuning tuning =
        switch (method) {
          case SFT -> FineTuning.NONE;
          case LORA -> FineTuning.lora(config);
          case DPO -> FineTuning.dpo(config, config.getBoolean("finetune.dpo.lora"));
        };
    String tokens = prepareTokens(spark, config, base, kind, data, output, resume, reuseData);
    return Training.run(spark, config, tokens, output, resume, tuning, inputs);
  }

  /** RUN/data: reused when resuming, else made from the JSONL rows. */
  static String prepareTokens(
      SparkSession spark,
      Config config,
      BaseModel base,
      FinetuneData.Kind kind,
      List<String> data,
      String output,
      boolean resume,
      boolean reuseData) {
    String prepared = Storage.join(output, "prepared");
    String tokens = Storage.join(output, "data");
    boolean complete = Storage.exists(Storage.join(tokens, TokenManifest.FILE));
    if (resume && !complete) {
      throw new SparkLlmException(
          "--resume: " + tokens + " has no manifest.json; the run was never tokenized");
    }
    if ((resume || reuseData) && complete) {
      LOG.info("reusing the tokenized examples in {}", tokens);
      return tokens;
    }
    int seqLen = config.getInt("tokenize.seq_len");
    FinetuneData.Stats st =
        FinetuneData.prepare(
            spark,
            kind,
            data,
            base.tokenizerJson(),
            seqLen,
            FinetuneSettings.from(config),
            prepared);
    System.out.printf(
        "finetune: %d rows read, %d kept, %d rejected %s; see %s%n",
        st.input(),
        st.kept(),
        st.rejectedTotal(),
        st.rejected(),
        Storage.join(prepared, FinetuneData.STATS));
    if (st.splits().getOrDefault("train", 0L) == 0) {
      throw new SparkLlmException(
          "no usable training rows in "
              + String.join(", ", data)
              + "; see "
              + Storage.join(prepared, FinetuneData.STATS)
              + " for why rows were rejected");
    }
    if (kind == FinetuneData.Kind.PREFERENCE) {
      PreferenceTokens.write(
          spark,
          TokenizeSettings.from(config.section("tokenize")),
          base.tokenizerJson(),
          prepared,
          tokens);
      // Checkpoints carry the tokenizer the pairs were encoded with, as tokenize's output does.
      Storage.writeString(Storage.join(tokens, Checkpoints.TOKENIZER), base.tokenizerJson());
      return tokens;
    }
    // The tokenize job reads the tokenizer from a path; the pairs above are encoded in memory.
    String tokenizer = Storage.join(prepared, Checkpoints.TOKENIZER);
    Storage.writeString(tokenizer, base.tokenizerJson());
    TokenizeJob.run(spark, config, Storage.join(prepared, "examples"), tokenizer, tokens, false);
    if (st.chatRows() > 0) {
      // Training copies it into every checkpoint, so the model keeps the format it learned.
      Storage.writeString(Storage.join(tokens, ChatTemplate.FILE), ChatTemplate.JINJA);
    }
    return tokens;
  }
}
