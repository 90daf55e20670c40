package dev.sparkllm.jobs.bench;

import dev.sparkllm.core.SparkLlmException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A link rate for {@code benchmark distributed --link}: "1gbit", "10gbit", "500mbit", or "none"
 * (the veths unshaped).
 */
public record Link(String name, long bitsPerSecond) {
  public static final Link NONE = new Link("none", 0);
  private static final Pattern RATE = Pattern.compile("(\\d+)(m|g)bit");

  public static Link parse(String s) {
    String v = s.trim().toLowerCase(Locale.ROOT);
    if (v.equals("none")) {
      return NONE;
    }
    Matcher m = RATE.matcher(v);
    if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
      throw new SparkLlmException(
          "--link takes rates like 1gbit, 10gbit, 500mbit or none, got '" + s + "'");
    }
    long unit = m.group(2).equals("g") ? 1_000_000_000L : 1_000_000L;
    return new Link(v, Long.parseLong(m.group(1)) * unit);
  }

  /** The payload bytes per second the link allows, or 0 for none. */
  public double bytesPerSecond() {
    return bitsPerSecond / 8.0;
  }

  String tcRate() {
    return bitsPerSecond + "bit";
  }

  /**
   * tbf's bucket: about 2 ms at the rate, at least 256 KB. A bucket smaller than what the kernel
   * can send between two timer ticks caps the rate below the configured one; a much larger one lets
   * bursts through at memory speed.
   */
  String tcBurst() {
    return Math.max(256 * 1024, bitsPerSecond / 8 / 500) + "b";
  }

  @Override
  public String toString() {
    return name;
  }
}
