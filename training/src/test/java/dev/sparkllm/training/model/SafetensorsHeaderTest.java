package dev.sparkllm.training.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.sparkllm.core.SparkLlmException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/**
 * Damaged safetensors files are refused with a message naming the file and tensor, before DJL
 * decodes them (which would throw its own exceptions, hand PyTorch a wrong-sized buffer, or try to
 * allocate a header length read from random bytes).
 */
class SafetensorsHeaderTest {
  static final GptConfig TINY = new GptConfig(50, 16, 2, 2, 32, 0.0, 1e-5, 0.02);
  static final String ORIGIN = "run/checkpoints/step-0000002/model.safetensors";

  /** A safetensors file with {@code header} and {@code data} zero bytes of data. */
  static byte[] file(String header, int data) {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h);
    return b.array();
  }

  static AbstractThrowableAssert<?, ? extends Throwable> loading(byte[] bytes) {
    try (NDManager m = NDManager.newBaseManager()) {
      Gpt model = Gpt.create(m, TINY);
      return assertThatThrownBy(() -> Gpt2Weights.load(model, bytes, ORIGIN))
          .isInstanceOf(SparkLlmException.class)
          .hasMessageContaining(ORIGIN)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
  }

  static byte[] exported() {
    try (NDManager m = NDManager.newBaseManager()) {
      return Gpt2Weights.export(Gpt.create(m, TINY));
    }
  }

  @Test
  void anExportedModelPassesAndListsEveryTensor() {
    byte[] ok = exported();
    assertThat(SafetensorsHeader.check(ok, ORIGIN))
        .extracting(SafetensorsHeader.Tensor::name)
        .contains("wte.weight", "h.1.mlp.c_fc.weight");
  }

  @Test
  void truncatedFile() {
    byte[] ok = exported();
    loading(Arrays.copyOf(ok, ok.length - 100))
        .hasMessageContaining("past the end of the data section")
        .hasMessageContaining("truncated");
    loading(Arrays.copyOf(ok, 5)).hasMessageContaining("too short");
  }

  @Test
  void headerLengthBeyondTheFile() {
    byte[] bytes = exported();
    // Near 2 GiB: DJL would allocate that much before noticing the file is short.
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Integer.MAX_VALUE - 16);
    loading(bytes).hasMessageContaining("header length").hasMessageContaining("does not fit");
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -1L);
    loading(bytes).hasMessageContaining("header length");
  }

  @Test
  void headerThatIsNotJson() {
    loading(file("{\"wte.weight\": {\"dtype\": \"F32\", ", 16))
        .hasMessageContaining("header is not valid JSON");
    loading(file("[1, 2]", 0)).hasMessageContaining("not a JSON object");
    String entry = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";
    loading(file("{\"ln_f.bias\":" + entry + ",\"ln_f.bias\":" + entry + "}", 16))
        .hasMessageContaining("Duplicate field 'ln_f.bias'");
  }

  @Test
  void offsetsOutsideTheDataSection() {
    loading(
            file(
                "{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[10,10],\"data_offsets\":[0,400]}}",
                100))
        .hasMessageContaining("tensor wte.weight")
        .hasMessageContaining("past the end of the data section");
    loading(file("{\"wte.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8))
        .hasMessageContaining("tensor wte.weight has no valid data_offsets");
  }

  @Test
  void unknownDtype() {
    loading(file("{\"wte.weight\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4))
        .hasMessageContaining("tensor wte.weight has dtype 'Q4', not one of")
        .hasMessageContaining("BF16");
  }

  @Test
  void sizeThatDisagreesWithDtypeAndShape() {
    loading(file("{\"ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", 16))
        .hasMessageContaining("tensor ln_f.bias has data_offsets [0, 16] (16 bytes)")
        .hasMessageContaining("needs 24 bytes");
    loading(
            file(
                "{\"ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                    + "\"data_offsets\":[0,16]}}",
                16))
        .hasMessageContaining("more than 2^63");
  }

  @Test
  void overlappingTensors() {
    loading(
            file(
                "{\"ln_f.bias\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    + "\"ln_f.weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                24))
        .hasMessageContaining("tensors ln_f.bias and ln_f.weight overlap");
  }
}
