package dev.sparkllm.preprocessing.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Writes {@code tokenizer.json} in Hugging Face {@code tokenizers} format (version 1.0). Field sets
 * follow what {@code Tokenizer.save} writes, so the Python and Node libraries and DJL (Rust
 * tokenizers 0.21) all load the file; merges use the "left right" string form every version reads
 * (byte-level tokens never contain a space, since space is byte-mapped to 'Ġ').
 *
 * <ul>
 *   <li>{@code bpe}: model BPE, ByteLevel pre-tokenizer (add_prefix_space false, use_regex true),
 *       ByteLevel post-processor and decoder — GPT-2's setup.
 *   <li>{@code char}: model BPE with no merges and an unknown token, no pre-tokenizer, Fuse
 *       decoder: each code point is looked up on its own, decoding concatenates.
 *   <li>{@code word}: model WordLevel, Split pre-tokenizer on the GPT-2 regex (Isolated), Fuse
 *       decoder: a word is a GPT-2 pre-token with its leading space, so decoding concatenates.
 * </ul>
 *
 * Special tokens come first in the vocabulary and are listed as added tokens (special, not
 * normalized), so encoders match them in text before pre-tokenizing.
 */
public final class TokenizerJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private TokenizerJson() {}

  /** Byte-level BPE; {@code vocab} in id order, specials at the front. */
  public static String byteLevelBpe(
      List<String> vocab, List<String[]> merges, List<String> specials) {
    ObjectNode root = header(vocab, specials);
    root.set("normalizer", F.nullNode());
    root.set("pre_tokenizer", byteLevel(true));
    root.set("post_processor", byteLevel(false));
    root.set("decoder", byteLevel(true));
    ObjectNode model = bpeModel(vocab, null);
    ArrayNode m = model.putArray("merges");
    for (String[] merge : merges) {
      m.add(merge[0] + " " + merge[1]);
    }
    root.set("model", model);
    return write(root);
  }

  /** Character level: {@code vocab} holds specials, the unknown token, then single code points. */
  public static String charLevel(List<String> vocab, List<String> specials, String unk) {
    ObjectNode root = header(vocab, specials);
    root.set("normalizer", F.nullNode());
    root.set("pre_tokenizer", F.nullNode());
    root.set("post_processor", F.nullNode());
    root.set("decoder", fuse());
    ObjectNode model = bpeModel(vocab, unk);
    model.putArray("merges");
    root.set("model", model);
    return write(root);
  }

  /** Word level: {@code vocab} holds specials, the unknown token, then GPT-2 pre-tokens. */
  public static String wordLevel(List<String> vocab, List<String> specials, String unk) {
    ObjectNode root = header(vocab, specials);
    root.set("normalizer", F.nullNode());
    ObjectNode split = F.objectNode();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", ByteLevel.GPT2_PATTERN);
    split.put("behavior", "Isolated");
    split.put("invert", false);
    root.set("pre_tokenizer", split);
    root.set("post_processor", F.nullNode());
    root.set("decoder", fuse());
    ObjectNode model = F.objectNode();
    model.put("type", "WordLevel");
    model.set("vocab", vocabNode(vocab));
    model.put("unk_token", unk);
    root.set("model", model);
    return write(root);
  }

  private static ObjectNode header(List<String> vocab, List<String> specials) {
    ObjectNode root = F.objectNode();
    root.put("version", "1.0");
    root.set("truncation", F.nullNode());
    root.set("padding", F.nullNode());
    ArrayNode added = root.putArray("added_tokens");
    for (String s : specials) {
      int id = vocab.indexOf(s);
      if (id < 0) {
        throw new IllegalArgumentException("special token " + s + " missing from the vocabulary");
      }
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", s);
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    return root;
  }

  private static ObjectNode byteLevel(boolean trimOffsets) {
    ObjectNode n = F.objectNode();
    n.put("type", "ByteLevel");
    // A prefix space would make "Hello" and " Hello" encode alike and break round trips.
    n.put("add_prefix_space", false);
    n.put("trim_offsets", trimOffsets);
    n.put("use_regex", true);
    return n;
  }

  private static ObjectNode fuse() {
    ObjectNode n = F.objectNode();
    n.put("type", "Fuse");
    return n;
  }

  private static ObjectNode bpeModel(List<String> vocab, String unk) {
    ObjectNode model = F.objectNode();
    model.put("type", "BPE");
    model.set("dropout", F.nullNode());
    if (unk == null) {
      model.set("unk_token", F.nullNode());
    } else {
      model.put("unk_token", unk);
    }
    model.set("continuing_subword_prefix", F.nullNode());
    model.set("end_of_word_suffix", F.nullNode());
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.set("vocab", vocabNode(vocab));
    return model;
  }

  private static ObjectNode vocabNode(List<String> vocab) {
    ObjectNode v = F.objectNode();
    for (int i = 0; i < vocab.size(); i++) {
      if (v.has(vocab.get(i))) {
        throw new IllegalArgumentException("duplicate vocabulary entry " + vocab.get(i));
      }
      v.put(vocab.get(i), i);
    }
    return v;
  }

  private static String write(ObjectNode root) {
    try {
      return MAPPER.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
