package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.Hashing;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.training.model.GptConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected into real checkpoint files of a tiny model. After each, every earlier checkpoint
 * is intact, and reading gets the last complete checkpoint or a one-line error: never "no
 * checkpoint" (a silent fresh start) and never another checkpoint than the one asked for.
 */
class CheckpointFaultTest {
  static final GptConfig TINY = new GptConfig(50, 16, 2, 2, 32, 0.0, 1e-5, 0.02);

  @TempDir Path tmp;
  Trainer trainer;
  String run;

  @BeforeEach
  void setUp() {
    trainer = new Trainer(TINY, TrainerTest.options());
    run = tmp.resolve("run").toString();
  }

  @AfterEach
  void tearDown() {
    trainer.close();
  }

  String save(String runDir, long step, int keep) {
    CheckpointState state =
        new CheckpointState(
            step,
            step,
            new TokenData.Position(0, 0, 0),
            1,
            "hash",
            TINY,
            null,
            16,
            1.0,
            null,
            0,
            List.of(),
            List.of());
    return Checkpoints.save(runDir, trainer, state, keep);
  }

  /** Checkpoints 1..n with keep 0 (all kept). */
  void saveSteps(int n) {
    for (int s = 1; s <= n; s++) {
      save(run, s, 0);
    }
  }

  Path ckpts() {
    return Path.of(run, "checkpoints");
  }

  Path step(long s) {
    return ckpts().resolve(Checkpoints.name(s));
  }

  long stepOf(String checkpoint) {
    return Checkpoints.load(checkpoint).state().get("step").asLong();
  }

  /**
   * Deletes Hadoop's .crc side files, as copying a checkpoint (cp, aws s3 sync) or an object store
   * does: then SHA256SUMS is the only check left.
   */
  void copiedFromElsewhere() throws IOException {
    try (Stream<Path> s = Files.walk(ckpts())) {
      for (Path f : s.filter(f -> f.getFileName().toString().endsWith(".crc")).toList()) {
        Files.delete(f);
      }
    }
  }

  static void flipByte(Path file, int fromEnd) throws IOException {
    byte[] b = Files.readAllBytes(file);
    b[b.length - fromEnd] ^= 0x5a;
    Files.write(file, b);
  }

  /** The earlier checkpoints all still load, each with its own step. */
  void assertIntact(long... steps) {
    for (long s : steps) {
      assertThat(stepOf(step(s).toString())).as("step %d", s).isEqualTo(s);
    }
  }

  @Test
  void truncatedOrFlippedFilesAreRefusedAndEarlierCheckpointsStayIntact() throws IOException {
    saveSteps(3);
    Path model = step(3).resolve(Checkpoints.MODEL);
    byte[] whole = Files.readAllBytes(model);
    Files.write(model, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThatThrownBy(() -> Checkpoints.load(Checkpoints.latest(run)))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("is corrupt: model.safetensors");
    Files.write(model, whole);
    flipByte(step(3).resolve(Checkpoints.OPTIMIZER), 3);
    assertThatThrownBy(() -> Checkpoints.load(Checkpoints.latest(run)))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("is corrupt: optimizer.safetensors");
    assertIntact(1, 2);
  }

  @Test
  void evaluateGenerateAndInitFromVerifyTheSumsToo() throws IOException {
    saveSteps(2);
    copiedFromElsewhere();
    // A flipped weight in the data section still decodes: without the sums it is a wrong model.
    flipByte(step(2).resolve(Checkpoints.MODEL), 2);
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> Generator.load(m, step(2).toString()))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("is corrupt: model.safetensors");
      assertThat(Generator.load(m, step(1).toString()).config()).isEqualTo(TINY);
    }
    String weights = step(2).resolve(Checkpoints.MODEL).toString();
    assertThatThrownBy(() -> Checkpoints.readWeights(weights))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("is corrupt: model.safetensors");
    assertThat(Checkpoints.readWeights(step(1).resolve(Checkpoints.MODEL).toString()))
        .isEqualTo(Files.readAllBytes(step(1).resolve(Checkpoints.MODEL)));
  }

  @Test
  void aStepDirectoryWithoutSumsIsNotTakenForAHuggingFaceDirectory() throws IOException {
    saveSteps(1);
    Files.delete(step(1).resolve(Checkpoints.SUMS));
    try (NDManager m = NDManager.newBaseManager()) {
      assertThatThrownBy(() -> Generator.load(m, step(1).toString()))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining("is incomplete (no SHA256SUMS)");
    }
  }

  @Test
  void missingLatestIsRecoveredFromTheNewestVerifiedCheckpoint() throws IOException {
    saveSteps(3);
    Files.delete(ckpts().resolve(Checkpoints.LATEST));
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(3);
    copiedFromElsewhere();
    // The newest one damaged too: the one before it, never "no checkpoint".
    flipByte(step(3).resolve(Checkpoints.MODEL), 1);
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(2);
    Files.writeString(ckpts().resolve(Checkpoints.LATEST), "\n");
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(2);
    Files.writeString(ckpts().resolve(Checkpoints.LATEST), "step-0000009\n");
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(2);
    assertIntact(1, 2);
  }

  @Test
  void missingLatestWithNoCompleteCheckpointIsAnError() throws IOException {
    saveSteps(2);
    Files.delete(ckpts().resolve(Checkpoints.LATEST));
    copiedFromElsewhere();
    flipByte(step(1).resolve(Checkpoints.STATE), 2);
    Files.delete(step(2).resolve(Checkpoints.SUMS));
    assertThatThrownBy(() -> Checkpoints.latest(run))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("latest is missing and none of the 2 step directories")
        .hasMessageContaining("no SHA256SUMS");
    // A run without any step directory has no checkpoint: that is the only "null".
    assertThat(Checkpoints.latest(tmp.resolve("fresh").toString())).isNull();
  }

  @Test
  void garbageOrEscapingLatestIsAnErrorNamingTheFile() throws IOException {
    saveSteps(2);
    String other = tmp.resolve("other").toString();
    save(other, 7, 0);
    Path latest = ckpts().resolve(Checkpoints.LATEST);
    for (String bad :
        List.of("../../other/checkpoints/step-0000007", "step-2", "\u0000\u0001garbage", "/etc")) {
      Files.writeString(latest, bad);
      assertThatThrownBy(() -> Checkpoints.latest(run))
          .as(bad)
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining(latest.toString())
          .hasMessageContaining("does not name a checkpoint")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\u0000"));
    }
    assertIntact(1, 2);
  }

  @Test
  void sumsThatEscapeTheDirectoryOrAreTruncatedAreRefused() throws IOException {
    saveSteps(1);
    copiedFromElsewhere();
    Path sums = step(1).resolve(Checkpoints.SUMS);
    String good = Files.readString(sums);
    Path secret = tmp.resolve("secret");
    Files.writeString(secret, "not a checkpoint file");
    String escape = Hashing.sha256Hex(Files.readAllBytes(secret)) + "  ../../../secret\n";
    Files.writeString(sums, good + escape);
    assertThatThrownBy(() -> Checkpoints.load(step(1).toString()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(sums.toString())
        .hasMessageContaining("names '../../../secret', not one of the checkpoint files");
    String firstLine = good.substring(0, good.indexOf('\n'));
    Files.writeString(sums, firstLine.substring(0, 64) + "\n" + good);
    assertThatThrownBy(() -> Checkpoints.load(step(1).toString()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(sums.toString() + " line 1 is not '<64 hex digits>  <file name>'");
    Files.writeString(sums, good + good.substring(0, good.indexOf('\n') + 1));
    assertThatThrownBy(() -> Checkpoints.load(step(1).toString()))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("twice");
    Files.writeString(sums, good);
    assertIntact(1);
  }

  @Test
  void crashBetweenTheStepDirectoryAndLatestKeepsThePreviousCheckpoint() throws IOException {
    saveSteps(2);
    // Step 3 written completely, step 4 partly (no sums yet), neither named by latest: what a
    // writer that died before updating latest leaves behind.
    String scratch = tmp.resolve("scratch").toString();
    save(scratch, 3, 0);
    save(scratch, 4, 0);
    copyDir(Path.of(scratch, "checkpoints", Checkpoints.name(3)), step(3));
    copyDir(Path.of(scratch, "checkpoints", Checkpoints.name(4)), step(4));
    Files.delete(step(4).resolve(Checkpoints.SUMS));
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(2);
    Files.delete(ckpts().resolve(Checkpoints.LATEST));
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(3);
    assertIntact(1, 2, 3);
  }

  @Test
  void pruneNeverDeletesWhatLatestNamesNorForeignDirectories() throws IOException {
    saveSteps(2);
    // Orphans of an attempt that crashed after step 6, before latest was updated; the run
    // resumed from step 2 and now writes step 3.
    String scratch = tmp.resolve("scratch").toString();
    save(scratch, 5, 0);
    save(scratch, 6, 0);
    copyDir(Path.of(scratch, "checkpoints", Checkpoints.name(5)), step(5));
    copyDir(Path.of(scratch, "checkpoints", Checkpoints.name(6)), step(6));
    Files.createDirectories(ckpts().resolve("step-0"));
    Files.createDirectories(ckpts().resolve("step-notes"));
    save(run, 3, 2);
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(3);
    assertThat(names()).containsExactlyInAnyOrder("step-0000003", "step-0000005", "step-0000006");
    assertThat(ckpts().resolve("step-0")).isDirectory();
    assertThat(ckpts().resolve("step-notes")).isDirectory();
  }

  @Test
  void pruneOrdersStepsByNumberNotByName() throws IOException {
    save(run, 9_999_999, 0);
    save(run, 10_000_000, 1);
    assertThat(names()).containsExactly("step-10000000");
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(10_000_000);
  }

  @Test
  void rewritingAStepReplacesItWhole() throws IOException {
    saveSteps(2);
    save(run, 2, 0);
    assertIntact(1, 2);
    try (Stream<Path> s = Files.list(ckpts())) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("latest", "step-0000001", "step-0000002");
    }
  }

  @Test
  void temporaryCopiesOfDeadWritersAreCleanedUpButNothingElse() throws IOException {
    saveSteps(1);
    Path deadStep =
        Files.createDirectories(ckpts().resolve(".step-0000009.tmp-" + UUID.randomUUID()));
    Files.writeString(deadStep.resolve(Checkpoints.MODEL), "half a model");
    Path oldStyle = Files.createDirectories(ckpts().resolve(".step-0000008.tmp"));
    Path deadLatest = ckpts().resolve(".latest.tmp-" + UUID.randomUUID());
    Files.writeString(deadLatest, "step-0000009\n");
    Path notes = Files.createDirectories(ckpts().resolve(".notes"));
    save(run, 2, 0);
    assertThat(deadStep).doesNotExist();
    assertThat(oldStyle).doesNotExist();
    assertThat(deadLatest).doesNotExist();
    assertThat(notes).isDirectory();
    assertIntact(1, 2);
  }

  @Test
  void latestIsNeverAbsentWhileItIsReplaced() throws Exception {
    saveSteps(1);
    Path latest = ckpts().resolve(Checkpoints.LATEST);
    AtomicBoolean done = new AtomicBoolean();
    List<String> seen = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  String name = Files.readString(latest).strip();
                  if (!name.matches("step-\\d{7}")) {
                    seen.add("'" + name + "'");
                  }
                } catch (IOException e) {
                  seen.add(e.toString());
                }
              }
            });
    reader.start();
    try {
      for (int s = 2; s <= 25; s++) {
        save(run, s, 2);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(seen).isEmpty();
    assertThat(stepOf(Checkpoints.latest(run))).isEqualTo(25);
  }

  List<String> names() throws IOException {
    try (Stream<Path> s = Files.list(ckpts())) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("step-\\d{7,}")).toList();
    }
  }

  static void copyDir(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path f : s.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
  }
}
