package dev.sparkllm.preprocessing.steps;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.SparkTestBase;
import dev.sparkllm.preprocessing.steps.lang.LanguageFilter;
import dev.sparkllm.preprocessing.steps.pii.PiiRedactor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Both steps shipped to real executors (local[2]): they serialize, lingua and its Kotlin runtime
 * load next to Spark's classpath, and open() runs per partition.
 */
class PiiAndLanguageOnSparkTest extends SparkTestBase {

  @Test
  void redactsAndIdentifiesLanguagePerPartition() {
    Config config = Config.defaults();
    List<DocumentStep> steps =
        List.of(
            new PiiRedactor(config.section("preprocess.pii")),
            new LanguageFilter(config.section("preprocess.language")));
    List<String> texts =
        List.of(
            "Please write to jane.doe@example.com or call +44 20 7946 0958 about the new budget"
                + " that the city council approved on Tuesday.",
            "Der Stadtrat hat am Dienstag den neuen Haushalt beschlossen; Fragen an"
                + " info@stadt.example.de.",
            "asdf jkl qwer uiop zxcv",
            "The server at 84.17.43.122 was moved last week, and the old one was switched off.");
    JavaRDD<String> rdd =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).parallelize(texts, 2);
    List<String> out =
        rdd.mapPartitions(
                (Iterator<String> it) -> {
                  steps.forEach(DocumentStep::open);
                  List<String> rows = new ArrayList<>();
                  while (it.hasNext()) {
                    Document d = new Document("id", "test", it.next());
                    String reason = null;
                    for (DocumentStep s : steps) {
                      reason = s.apply(d);
                      if (reason != null) {
                        reason = s.name() + ":" + reason;
                        break;
                      }
                    }
                    rows.add(
                        d.lang
                            + "|"
                            + (reason == null ? "kept" : reason)
                            + "|"
                            + d.text
                            + "|"
                            + d.redactions);
                  }
                  return rows.iterator();
                })
            .collect();
    assertThat(out)
        .containsExactly(
            "en|kept|Please write to <EMAIL> or call <PHONE> about the new budget that the city"
                + " council approved on Tuesday.|{EMAIL=1, PHONE=1}",
            "de|language:lang_not_allowed|Der Stadtrat hat am Dienstag den neuen Haushalt"
                + " beschlossen; Fragen an <EMAIL>.|{EMAIL=1}",
            "es|language:lang_low_confidence|asdf jkl qwer uiop zxcv|{}",
            "en|kept|The server at <IP_ADDRESS> was moved last week, and the old one was switched"
                + " off.|{IP_ADDRESS=1}");
  }
}
