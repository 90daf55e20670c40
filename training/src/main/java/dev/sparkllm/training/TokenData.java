package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Token shards written by the tokenize job: {@code DATA/tokens/split=S/*.parquet} with column
 * {@code input_ids: array<int>} of seq_len+1 ids, and {@code DATA/manifest.json} ({@link
 * TokenManifest}). Shards are read with parquet-hadoop directly (no SparkSession needed, so
 * replicas inside Spark tasks can use it too), one shard in memory at a time.
 *
 * <p>Order: each epoch shuffles the shard order and the rows within each shard from the seed; the
 * {@link Position} (epoch, shard, row) is all a checkpoint needs to resume exactly. Rank r of w
 * replicas takes every w-th batch.
 */
public final class TokenData {

  /** Where the next batch starts. */
  public record Position(int epoch, int shard, int row) {}

  /** Parquet files of one split, sorted; empty when the split does not exist. */
  public static List<String> shardFiles(String data, String split) {
    String dir = Storage.join(data, "tokens", "split=" + split);
    if (!Storage.exists(dir)) {
      return List.of();
    }
    List<String> files = new ArrayList<>();
    for (String f : Storage.expandInputs(List.of(dir))) {
      if (f.endsWith(".parquet")) {
        files.add(f);
      }
    }
    return files;
  }

  /** All rows of one shard, checked against the manifest. */
  public static List<int[]> readShard(String file, TokenManifest manifest) {
    List<int[]> rows = new ArrayList<>();
    try (ParquetReader<Group> reader =
        ParquetReader.builder(new GroupReadSupport(), new Path(file))
            .withConf(Storage.hadoopConf())
            .build()) {
      for (Group g = reader.read(); g != null; g = reader.read()) {
        Group list = g.getGroup("input_ids", 0);
        int n = list.getFieldRepetitionCount(0);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
          int id = list.getGroup(0, i).getInteger(0, 0);
          if (id < 0 || id >= manifest.vocabSize()) {
            throw new SparkLlmException(
                file
                    + " holds token id "
                    + id
                    + " outside the manifest's vocab_size "
                    + manifest.vocabSize()
                    + "; the shards come from another tokenizer");
          }
          ids[i] = id;
        }
        if (n != manifest.seqLen() + 1) {
          throw new SparkLlmException(
              file
                  + " has a row of "
                  + n
                  + " ids; manifest.json says seq_len+1 = "
                  + (manifest.seqLen() + 1));
        }
        rows.add(ids);
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof SparkLlmException s) {
        throw s;
      }
      throw new SparkLlmException(
          "cannot read token shard "
              + file
              + " (expected Parquet with input_ids: array<int>): "
              + e.getMessage(),
          e);
    }
    return rows;
  }

  private final List<String> files;
  private final TokenManifest manifest;
  private final long seed;
  private final int rank;
  private final int world;
  private Position position;
  private int[] shardOrder;
  private int loadedShard = -1;
  private List<int[]> shardRows;
  private int[] rowOrder;

  public TokenData(
      List<String> files, TokenManifest manifest, long seed, int rank, int world, Position start) {
    if (files.isEmpty()) {
      throw new SparkLlmException("no training shards (tokens/split=train/*.parquet)");
    }
    this.files = files;
    this.manifest = manifest;
    this.seed = seed;
    this.rank = rank;
    this.world = world;
    this.position = start;
  }

  public Position position() {
    return position;
  }

  /**
   * The next {@code batchSize} rows of this rank; a batch never spans an epoch boundary, and a
   * shard's leftover rows continue into the next shard.
   */
  public int[][] next(int batchSize) {
    int[][] batch = null;
    for (int r = 0; r < world; r++) {
      int[][] b = take(batchSize);
      if (r == rank) {
        batch = b;
      }
    }
    return batch;
  }

  private int[][] take(int batchSize) {
    int[][] out = new int[batchSize][];
    int filled = 0;
    int emptyShards = 0;
    while (filled < batchSize) {
      ensureShard();
      if (position.row >= shardRows.size()) {
        emptyShards = shardRows.isEmpty() ? emptyShards + 1 : 0;
        if (emptyShards > files.size()) {
          throw new SparkLlmException("all training shards are empty; nothing to train on");
        }
        advanceShard();
        continue;
      }
      out[filled++] = shardRows.get(rowOrder[position.row]);
      position = new Position(position.epoch, position.shard, position.row + 1);
    }
    return out;
  }

  private void advanceShard() {
    int shard = position.shard + 1;
    int epoch = position.epoch;
    if (shard >= files.size()) {
      shard = 0;
      epoch++;
      shardOrder = null;
    }
    position = new Position(epoch, shard, 0);
  }

  private void ensureShard() {
    if (shardOrder == null) {
      shardOrder = permutation(files.size(), new Random(seed * 1_000_003L + position.epoch));
      loadedShard = -1;
    }
    int file = shardOrder[position.shard];
    if (file != loadedShard) {
      shardRows = readShard(files.get(file), manifest);
      rowOrder =
          permutation(
              shardRows.size(),
              new Random((seed * 1_000_003L + position.epoch) * 31 + position.shard));
      loadedShard = file;
    }
  }

  static int[] permutation(int n, Random random) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** The first {@code maxBatches} full batches of a split in file order (validation). */
  public static List<int[][]> fixedBatches(
      List<String> files, TokenManifest manifest, int batchSize, int maxBatches) {
    List<int[][]> batches = new ArrayList<>();
    List<int[]> pending = new ArrayList<>();
    for (String f : files) {
      for (int[] row : readShard(f, manifest)) {
        pending.add(row);
        if (pending.size() == batchSize) {
          batches.add(pending.toArray(new int[0][]));
          pending.clear();
          if (batches.size() == maxBatches) {
            return batches;
          }
        }
      }
    }
    if (!pending.isEmpty() && batches.size() < maxBatches) {
      batches.add(pending.toArray(new int[0][]));
    }
    return batches;
  }
}
