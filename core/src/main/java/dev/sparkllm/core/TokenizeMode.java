package dev.sparkllm.core;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the tokenize job lays documents into rows: {@code packed} concatenates documents into full
 * rows, {@code padded} stores one prompt/response example per row with a loss mask. Written to
 * config and manifest.json as its lower-case {@link #id()}.
 */
public enum TokenizeMode {
  PACKED("packed"),
  PADDED("padded");

  private final String id;

  TokenizeMode(String id) {
    this.id = id;
  }

  /** The name in config and manifest.json. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return id;
  }

  /**
   * The mode named {@code value}.
   *
   * @param where what holds the value, for the error, e.g. "config key 'tokenize.mode'"
   */
  public static TokenizeMode parse(String value, String where) {
    for (TokenizeMode m : values()) {
      if (m.id.equals(value)) {
        return m;
      }
    }
    throw new SparkLlmException(
        where
            + " must be "
            + Arrays.stream(values()).map(TokenizeMode::id).collect(Collectors.joining(" or "))
            + ", got '"
            + value
            + "'");
  }
}
