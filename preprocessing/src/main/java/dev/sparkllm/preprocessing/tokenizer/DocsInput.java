package dev.sparkllm.preprocessing.tokenizer;

import static org.apache.spark.sql.functions.col;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The preprocess job's output as input here: {@code OUT/docs/split=<name>/*.parquet} with at least
 * {@code id} and {@code text}. {@code input} may be OUT or OUT/docs.
 */
public final class DocsInput {
  private DocsInput() {}

  /** OUT/docs if it exists, else {@code input} itself. */
  public static String docsPath(String input) {
    String docs = Storage.join(input, "docs");
    return Storage.exists(docs) ? docs : input;
  }

  /** All documents with their {@code split} partition column. */
  public static Dataset<Row> read(SparkSession spark, String input, String... required) {
    String path = docsPath(input);
    if (!Storage.exists(path)) {
      throw new SparkLlmException(
          "input " + input + " not found; give the preprocess output directory (with docs/)");
    }
    Dataset<Row> df;
    try {
      df = spark.read().parquet(Storage.qualify(path));
    } catch (RuntimeException e) {
      throw new SparkLlmException(
          "cannot read Parquet documents under "
              + path
              + " ("
              + firstLine(e.getMessage())
              + "); give the preprocess output directory (with docs/split=*/)",
          e);
    }
    List<String> columns = Arrays.asList(df.columns());
    for (String c : required) {
      if (!columns.contains(c)) {
        throw new SparkLlmException(
            "documents under "
                + path
                + " have no '"
                + c
                + "' column (columns: "
                + columns
                + "); expected the preprocess output layout docs/split=*/ with id and text");
      }
    }
    return df;
  }

  static String firstLine(String s) {
    String m = String.valueOf(s);
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /** The rows of one split (none if the split is absent). */
  public static Dataset<Row> split(Dataset<Row> docs, String split) {
    return docs.filter(col("split").equalTo(split));
  }
}
