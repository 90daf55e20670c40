package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.preprocessing.Document;
import java.io.Serializable;

/**
 * One per-document step of the preprocess job. The job owns the loop, the counters, the timing and
 * the writing of rejected documents; a step only looks at one document.
 *
 * <p>Steps are built on the driver from their config section and shipped to executors, so heavy
 * resources (models, analyzers) belong in {@link #open()}, which runs once per task before the
 * first document.
 */
public interface DocumentStep extends Serializable {

  /** Stable step name, as used in config, stats.json and rejected rows (e.g. "gopher_quality"). */
  String name();

  /**
   * Processes {@code doc} in place.
   *
   * @return null to keep the document, or a short stable reason (e.g. "dup_line_frac") to reject it
   */
  String apply(Document doc);

  /** Loads per-task resources. Called before the first {@link #apply}; may be called again. */
  default void open() {}
}
