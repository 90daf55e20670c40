package dev.sparkllm.training;

import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.core.TokenManifest;
import dev.sparkllm.core.TokenizeMode;
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
 * <p>When the manifest says {@code mode: padded} the shards also carry {@code loss_mask:
 * array<int>} (1 on response tokens and the closing end-of-text), and every {@link Batch} carries
 * it so the loss counts only those targets; packed shards (and minimal manifests) have no mask.
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

  /** One shard's rows; {@code masks} is null unless the data is padded. */
  record Shard(List<int[]> ids, List<int[]> masks) {}

  /** True when the shards carry a loss_mask the trainer must honour. */
  static boolean padded(TokenManifest manifest) {
    return manifest.tokenize() != null && manifest.tokenize().mode() == TokenizeMode.PADDED;
  }

  /** All rows of one shard (their ids), checked against the manifest. */
  public static List<int[]> readShard(String file, TokenManifest manifest) {
    return read(file, manifest).ids();
  }

  static Shard read(String file, TokenManifest manifest) {
    return read(file, manifest, false);
  }

  /**
   * {@code preference}: the shard holds pairs ({@link PreferenceShards}); each row comes back as
   * the chosen ids followed by the rejected ids, and its mask likewise.
   */
  static Shard read(String file, TokenManifest manifest, boolean preference) {
    if (preference) {
      return PreferenceShards.read(file, manifest);
    }
    boolean padded = padded(manifest);
    List<int[]> rows = new ArrayList<>();
    List<int[]> masks = padded ? new ArrayList<>() : null;
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
        if (padded) {
          masks.add(mask(file, g, n));
        }
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
    return new Shard(rows, masks);
  }

  private static int[] mask(String file, Group g, int n) {
    if (!g.getType().containsField("loss_mask")) {
      throw new SparkLlmException(
          file
              + " has no loss_mask column but manifest.json says mode padded; re-run tokenize"
              + " --mode padded, or point --data at packed shards");
    }
    Group list = g.getGroup("loss_mask", 0);
    if (list.getFieldRepetitionCount(0) != n) {
      throw new SparkLlmException(
          file
              + " has a loss_mask of "
              + list.getFieldRepetitionCount(0)
              + " values next to "
              + n
              + " input_ids; re-run tokenize --mode padded");
    }
    int[] mask = new int[n];
    for (int i = 0; i < n; i++) {
      int v = list.getGroup(0, i).getInteger(0, 0);
      if (v != 0 && v != 1) {
        throw new SparkLlmException(
            file + " holds loss_mask value " + v + " (only 0 and 1 are allowed)");
      }
      mask[i] = v;
    }
    return mask;
  }

  private final List<String> files;
  private final TokenManifest manifest;
  private final boolean preference;
  private final long seed;
  private final int rank;
  private final int world;
  private Position position;
  private int[] shardOrder;
  private int loadedShard = -1;
  private List<int[]> shardRows;
  private List<int[]> shardMasks;
  private int[] rowOrder;

  public TokenData(
      List<String> files, TokenManifest manifest, long seed, int rank, int world, Position start) {
    this(files, manifest, seed, rank, world, start, false);
  }

  /**
   * {@code preference}: the shards hold DPO pairs (see {@link #read(String, TokenManifest,
   * boolean)}).
   */
  public TokenData(
      List<String> files,
      TokenManifest manifest,
      long seed,
      int rank,
      int world,
      Position start,
      boolean preference) {
    this.preference = preference;
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
  public Batch next(int batchSize) {
    Batch batch = null;
    for (int r = 0; r < world; r++) {
      Batch b = take(batchSize);
      if (r == rank) {
        batch = b;
      }
    }
    return batch;
  }

  private Batch take(int batchSize) {
    int[][] out = new int[batchSize][];
    int[][] mask = padded(manifest) || preference ? new int[batchSize][] : null;
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
      int row = rowOrder[position.row];
      if (mask != null) {
        mask[filled] = shardMasks.get(row);
      }
      out[filled++] = shardRows.get(row);
      position = new Position(position.epoch, position.shard, position.row + 1);
    }
    return new Batch(out, mask);
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
      Shard shard = read(files.get(file), manifest, preference);
      shardRows = shard.ids();
      shardMasks = shard.masks();
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
  public static List<Batch> fixedBatches(
      List<String> files, TokenManifest manifest, int batchSize, int maxBatches) {
    return fixedBatches(files, manifest, batchSize, maxBatches, false);
  }

  /** {@link #fixedBatches} of preference pairs when {@code preference}. */
  static List<Batch> fixedBatches(
      List<String> files,
      TokenManifest manifest,
      int batchSize,
      int maxBatches,
      boolean preference) {
    List<Batch> batches = new ArrayList<>();
    List<int[]> pending = new ArrayList<>();
    List<int[]> pendingMasks = new ArrayList<>();
    boolean padded = padded(manifest) || preference;
    for (String f : files) {
      Shard shard = read(f, manifest, preference);
      for (int i = 0; i < shard.ids().size(); i++) {
        pending.add(shard.ids().get(i));
        if (padded) {
          pendingMasks.add(shard.masks().get(i));
        }
        if (pending.size() == batchSize) {
          batches.add(batch(pending, pendingMasks, padded));
          pending.clear();
          pendingMasks.clear();
          if (batches.size() == maxBatches) {
            return batches;
          }
        }
      }
    }
    if (!pending.isEmpty() && batches.size() < maxBatches) {
      batches.add(batch(pending, pendingMasks, padded));
    }
    return batches;
  }

  private static Batch batch(List<int[]> ids, List<int[]> masks, boolean padded) {
    return new Batch(ids.toArray(new int[0][]), padded ? masks.toArray(new int[0][]) : null);
  }
}
