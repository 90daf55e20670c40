package dev.sparkllm.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStateTest {
  static final String FILE = "run/checkpoints/step-0000010/state.json";

  static CheckpointState sample(Double best) {
    return new CheckpointState(
        10,
        10,
        new TokenData.Position(1, 2, 3),
        42,
        "abc123",
        TrainerTest.TINY,
        null,
        16,
        1.0,
        best,
        2,
        List.of(3.5, 3.25),
        List.of(new double[] {5, 3.0}, new double[] {10, 2.75}));
  }

  static ObjectNode json(CheckpointState s) throws Exception {
    return (ObjectNode) Json.MAPPER.readTree(new String(s.toJsonBytes(), StandardCharsets.UTF_8));
  }

  @Test
  void roundTripsEveryField() throws Exception {
    for (Double best : new Double[] {null, 2.5}) {
      CheckpointState s = sample(best);
      CheckpointState back = CheckpointState.parse(json(s), FILE);
      assertThat(back.step()).isEqualTo(10);
      assertThat(back.dataPosition()).isEqualTo(new TokenData.Position(1, 2, 3));
      assertThat(back.model()).isEqualTo(TrainerTest.TINY);
      assertThat(back.tokenizerSha256()).isNull();
      assertThat(back.bestValLoss()).isEqualTo(best);
      assertThat(back.trainLosses()).containsExactly(3.5, 3.25);
      assertThat(back.valLosses()).hasSize(2);
      assertThat(back.valLosses().get(1)).containsExactly(10, 2.75);
      assertThat(back.toJsonBytes()).isEqualTo(s.toJsonBytes());
    }
  }

  @Test
  void keepsTheFieldOrderToolsDiff() throws Exception {
    List<String> names = new java.util.ArrayList<>();
    json(sample(1.0)).fieldNames().forEachRemaining(names::add);
    assertThat(names)
        .containsExactly(
            "step",
            "optimizer_steps",
            "data_position",
            "seed",
            "rng",
            "config_hash",
            "model",
            "tokenizer_sha256",
            "seq_len",
            "loss_scale",
            "best_val_loss",
            "evals_without_improvement",
            "train_losses",
            "val_losses");
  }

  @Test
  void missingUnknownOrIllTypedFieldsNameTheFileAndField() throws Exception {
    ObjectNode missing = json(sample(null));
    missing.remove("data_position");
    assertThatThrownBy(() -> CheckpointState.parse(missing, FILE))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining(FILE)
        .hasMessageContaining("lacks the required field 'data_position'");

    ObjectNode unknown = json(sample(null));
    unknown.put("learning_rate_now", 0.1);
    assertThatThrownBy(() -> CheckpointState.parse(unknown, FILE))
        .hasMessageContaining(FILE)
        .hasMessageContaining("field 'learning_rate_now' is unknown");

    ObjectNode badStep = json(sample(null));
    badStep.put("step", "ten");
    assertThatThrownBy(() -> CheckpointState.parse(badStep, FILE))
        .hasMessageContaining("lacks the integer field 'step'");

    ObjectNode badRow = json(sample(null));
    ((ObjectNode) badRow.get("data_position")).put("row", 1.5);
    assertThatThrownBy(() -> CheckpointState.parse(badRow, FILE))
        .hasMessageContaining("lacks the integer field 'data_position.row'");

    ObjectNode badModel = json(sample(null));
    badModel.put("model", "tiny");
    assertThatThrownBy(() -> CheckpointState.parse(badModel, FILE))
        .hasMessageContaining("lacks the object field 'model'");
  }

  @Test
  void readsTheFileOfACheckpointDirectory(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> CheckpointState.readFile(dir.toString()))
        .hasMessageContaining("state.json is missing; is it a checkpoint");
    Files.write(dir.resolve("state.json"), sample(2.0).toJsonBytes());
    assertThat(CheckpointState.readFile(dir.toString()).bestValLoss()).isEqualTo(2.0);
    Files.writeString(dir.resolve("state.json"), "{not json");
    assertThatThrownBy(() -> CheckpointState.readFile(dir.toString()))
        .hasMessageContaining("is not valid JSON");
  }
}
