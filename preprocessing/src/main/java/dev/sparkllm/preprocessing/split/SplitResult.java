package dev.sparkllm.preprocessing.split;

import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * @param docs the input columns plus {@code split} (train, validation or test)
 * @param counts documents per split, every configured split present (0 when empty)
 * @param stats counters for stats.json
 */
public record SplitResult(Dataset<Row> docs, Map<String, Long> counts, Map<String, Object> stats) {}
