package dev.sparkllm.jobs.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.training.Checkpoints;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * What the pipeline does with the training run already in its output: continue it when only the
 * length of training or bookkeeping changed, otherwise keep it under a new name. Checkpoints are
 * never deleted — a finished run may have cost hours.
 */
final class PreviousRun {
  /** Training keys that do not change what the steps so far computed. */
  private static final List<String> EXTENDABLE =
      List.of("max_steps", "checkpoint_interval", "keep_checkpoints", "log_interval", "threads");

  private PreviousRun() {}

  /**
   * True when {@code run} holds checkpoints of the same model on the same tokens (the tokenize
   * stage did not rerun) with the same training settings apart from {@link #EXTENDABLE}, and the
   * run is unfinished or {@code training.max_steps} grew past what it finished with.
   */
  static boolean resumable(Config cfg, String run, String marker, String tokenizeStatus) {
    String saved = Storage.join(run, "config.yaml");
    if (Checkpoints.latest(run) == null
        || !"skipped".equals(tokenizeStatus)
        || !Storage.exists(saved)) {
      return false;
    }
    Config old = Config.fromYaml(Storage.readString(saved));
    if (!PipelineRunner.sectionHash(old, "model").equals(PipelineRunner.sectionHash(cfg, "model"))
        || !core(old).equals(core(cfg))) {
      return false;
    }
    long was = old.getLong("training.max_steps");
    long now = cfg.getLong("training.max_steps");
    boolean finished = Storage.exists(Storage.join(run, marker));
    return finished ? now > was : now >= was;
  }

  /** Renames {@code run} to {@code RUN.prev-TIMESTAMP} (unused name) and returns the new path. */
  static String moveAside(String run) {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    String base = run.replaceAll("/+$", "") + ".prev-" + stamp;
    String aside = base;
    for (int i = 2; Storage.exists(aside); i++) {
      aside = base + "-" + i;
    }
    Path from = Storage.path(run);
    FileSystem fs = Storage.fs(from);
    try {
      if (!fs.rename(from, Storage.path(aside))) {
        throw new IOException("rename returned false");
      }
    } catch (IOException e) {
      throw new SparkLlmException(
          "cannot move the previous training run "
              + run
              + " aside to "
              + aside
              + " ("
              + e.getMessage()
              + "); move or delete it yourself, then rerun the pipeline",
          e);
    }
    return aside;
  }

  private static String core(Config cfg) {
    ObjectNode t = cfg.section("training").tree().deepCopy();
    EXTENDABLE.forEach(t::remove);
    return t.toString();
  }
}
