package dev.sparkllm.preprocessing.tokenize;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * Counts from the executors. The encoding runs in the write's result stage, whose accumulator
 * updates Spark applies once per partition even if tasks are retried.
 */
final class TokenizeCounters implements Serializable {
  final LongAccumulator documents;
  final LongAccumulator emptyDocuments;
  final LongAccumulator inputTokens;
  final LongAccumulator rows;
  final LongAccumulator tail;
  final LongAccumulator truncatedExamples;
  final LongAccumulator truncatedTokens;
  final LongAccumulator droppedExamples;
  final LongAccumulator droppedTokens;
  final LongAccumulator padTokens;
  final LongAccumulator lossTokens;

  TokenizeCounters(SparkSession spark, String split) {
    var sc = spark.sparkContext();
    String p = "tokenize." + split + ".";
    documents = sc.longAccumulator(p + "documents");
    emptyDocuments = sc.longAccumulator(p + "empty_documents");
    inputTokens = sc.longAccumulator(p + "input_tokens");
    rows = sc.longAccumulator(p + "sequences");
    tail = sc.longAccumulator(p + "tail_tokens");
    truncatedExamples = sc.longAccumulator(p + "truncated_examples");
    truncatedTokens = sc.longAccumulator(p + "truncated_tokens");
    droppedExamples = sc.longAccumulator(p + "dropped_examples");
    droppedTokens = sc.longAccumulator(p + "dropped_tokens");
    padTokens = sc.longAccumulator(p + "pad_tokens");
    lossTokens = sc.longAccumulator(p + "loss_tokens");
  }

  void addPacker(Packer k) {
    documents.add(k.documents());
    emptyDocuments.add(k.emptyDocuments());
    inputTokens.add(k.docTokens() + k.eosTokens());
    rows.add(k.rows());
    tail.add(k.tailTokens());
  }

  void addPadder(Padder p) {
    documents.add(p.examples);
    inputTokens.add(p.promptTokens + p.responseTokens + p.eosTokens);
    rows.add(p.examples - p.droppedExamples);
    truncatedExamples.add(p.truncatedExamples);
    truncatedTokens.add(p.truncatedTokens);
    droppedExamples.add(p.droppedExamples);
    droppedTokens.add(p.droppedTokens);
    padTokens.add(p.padTokens);
    lossTokens.add(p.lossTokens);
  }

  TokenizeJob.SplitResult result(String split, int shards, int rowLength, List<String> files) {
    long seqs = rows.value();
    long written = seqs * rowLength - padTokens.value();
    return new TokenizeJob.SplitResult(
        split,
        shards,
        documents.value(),
        emptyDocuments.value(),
        inputTokens.value(),
        seqs,
        written,
        tail.value(),
        truncatedExamples.value(),
        truncatedTokens.value(),
        droppedExamples.value(),
        droppedTokens.value(),
        padTokens.value(),
        lossTokens.value(),
        files);
  }
}
