package dev.sparkllm.training.model;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Checks a safetensors file's layout before DJL decodes it. DJL trusts the header: a length past
 * the end of the file makes it allocate that many bytes (an OutOfMemoryError for a few flipped
 * bits), and offsets that disagree with dtype × shape hand PyTorch a buffer of the wrong size. A
 * file that passes here decodes into exactly the tensors its header describes.
 *
 * <p>Layout: 8-byte little-endian header length N, N bytes of JSON {@code {name: {dtype, shape,
 * data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data section the offsets index.
 */
public final class SafetensorsHeader {
  /** The dtypes DJL 0.35 decodes, with their sizes in bytes. */
  static final Map<String, Integer> DTYPE_BYTES =
      Map.of(
          "F64", 8, "F32", 4, "F16", 2, "BF16", 2, "I64", 8, "I32", 4, "I8", 1, "U8", 1, "BOOL", 1);

  /** One tensor's entry; offsets are relative to the start of the data section. */
  public record Tensor(String name, String dtype, long[] shape, long begin, long end) {}

  private SafetensorsHeader() {}

  /**
   * The tensors of {@code file}, or a {@link SparkLlmException} naming {@code origin} (and the
   * tensor) when the layout is inconsistent.
   */
  public static List<Tensor> check(byte[] file, String origin) {
    if (file.length < 8) {
      throw bad(origin, "it is " + file.length + " bytes, too short for a header (truncated?)");
    }
    long n = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    if (n <= 0 || n > file.length - 8L) {
      throw bad(
          origin,
          "its header length "
              + Long.toUnsignedString(n)
              + " does not fit in the file's "
              + file.length
              + " bytes (truncated, or not a safetensors file)");
    }
    JsonNode header;
    try {
      // Two entries under one name: DJL would keep one, and the check below would see the other.
      header =
          Json.MAPPER
              .reader()
              .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
              .readTree(new String(file, 8, (int) n, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw bad(origin, "its header is not valid JSON (" + firstLine(e.getMessage()) + ")");
    }
    if (header == null || !header.isObject()) {
      throw bad(origin, "its header is not a JSON object");
    }
    long dataLength = file.length - 8L - n;
    List<Tensor> tensors = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("__metadata__")) {
        tensors.add(tensor(origin, e.getKey(), e.getValue(), dataLength));
      }
    }
    tensors.sort(Comparator.comparingLong(Tensor::begin).thenComparingLong(Tensor::end));
    for (int i = 1; i < tensors.size(); i++) {
      Tensor a = tensors.get(i - 1);
      Tensor b = tensors.get(i);
      if (b.begin() < a.end()) {
        throw new SparkLlmException(
            origin
                + ": tensors "
                + a.name()
                + " and "
                + b.name()
                + " overlap in the data section (corrupt safetensors header)");
      }
    }
    return tensors;
  }

  private static Tensor tensor(String origin, String name, JsonNode t, long dataLength) {
    String where = origin + ": tensor " + name + " ";
    if (!t.isObject()) {
      throw new SparkLlmException(where + "has no {dtype, shape, data_offsets} entry");
    }
    String dtype = t.path("dtype").asText("");
    Integer size = DTYPE_BYTES.get(dtype);
    if (size == null) {
      throw new SparkLlmException(
          where + "has dtype '" + dtype + "', not one of " + new TreeSet<>(DTYPE_BYTES.keySet()));
    }
    long[] shape = longs(t.get("shape"), -1);
    long[] offsets = longs(t.get("data_offsets"), 2);
    if (shape == null) {
      throw new SparkLlmException(where + "has no valid shape (a list of sizes >= 0)");
    }
    if (offsets == null || offsets[0] > offsets[1]) {
      throw new SparkLlmException(where + "has no valid data_offsets [begin, end]");
    }
    long need = size;
    try {
      for (long d : shape) {
        need = Math.multiplyExact(need, d);
      }
    } catch (ArithmeticException e) {
      need = Long.MAX_VALUE;
    }
    long have = offsets[1] - offsets[0];
    if (have != need) {
      throw new SparkLlmException(
          where
              + "has data_offsets "
              + Arrays.toString(offsets)
              + " ("
              + have
              + " bytes) but dtype "
              + dtype
              + " × shape "
              + Arrays.toString(shape)
              + " needs "
              + (need == Long.MAX_VALUE ? "more than 2^63" : need)
              + " bytes");
    }
    if (offsets[1] > dataLength) {
      throw new SparkLlmException(
          where
              + "has data_offsets "
              + Arrays.toString(offsets)
              + " past the end of the data section ("
              + dataLength
              + " bytes; truncated file?)");
    }
    return new Tensor(name, dtype, shape, offsets[0], offsets[1]);
  }

  /** Non-negative integers of an array node (of {@code length} when >= 0), or null. */
  private static long[] longs(JsonNode node, int length) {
    if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
      return null;
    }
    long[] out = new long[node.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode x = node.get(i);
      if (!x.canConvertToLong() || !x.isIntegralNumber() || x.asLong() < 0) {
        return null;
      }
      out[i] = x.asLong();
    }
    return out;
  }

  /**
   * {@code file} with its header's {@code __metadata__} set to {@code metadata}; the data section
   * is unchanged. Hugging Face's loaders expect {@code {"format": "pt"}} there, which DJL does not
   * write. The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.
   */
  public static byte[] withMetadata(byte[] file, Map<String, String> metadata) {
    check(file, "safetensors");
    int n = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    try {
      ObjectNode header =
          (ObjectNode) Json.MAPPER.readTree(new String(file, 8, n, StandardCharsets.UTF_8));
      ObjectNode rebuilt = Json.MAPPER.createObjectNode();
      rebuilt.set("__metadata__", Json.MAPPER.valueToTree(metadata));
      header
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("__metadata__")) {
                  rebuilt.set(e.getKey(), e.getValue());
                }
              });
      byte[] head =
          Json.MAPPER
              .writer()
              .without(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(rebuilt)
              .getBytes(StandardCharsets.UTF_8);
      int padded = (head.length + 7) / 8 * 8;
      ByteBuffer out = ByteBuffer.allocate(8 + padded + file.length - 8 - n);
      out.order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
      out.put(head);
      for (int i = head.length; i < padded; i++) {
        out.put((byte) ' ');
      }
      out.put(file, 8 + n, file.length - 8 - n);
      return out.array();
    } catch (IOException e) {
      throw new IllegalStateException("re-encoding a checked safetensors header failed", e);
    }
  }

  private static SparkLlmException bad(String origin, String why) {
    return new SparkLlmException(origin + " is not a valid safetensors file: " + why);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
