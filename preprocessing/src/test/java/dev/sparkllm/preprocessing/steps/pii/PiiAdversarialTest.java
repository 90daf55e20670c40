package dev.sparkllm.preprocessing.steps.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Inputs built to make the PII patterns backtrack: each must be redacted in linear time (a generous
 * bound; typical runs take a few milliseconds) and without a StackOverflowError, since one such
 * document would otherwise stall or fail its whole Spark task.
 */
class PiiAdversarialTest {
  private static final Duration BOUND = Duration.ofSeconds(2);

  private static String timed(String label, String text) {
    long t0 = System.nanoTime();
    String out = assertTimeoutPreemptively(BOUND, () -> PiiRedactorTest.ALL.redact(text), label);
    System.out.printf(
        "%s: %d chars in %d ms%n", label, text.length(), (System.nanoTime() - t0) / 1_000_000);
    return out;
  }

  @Test
  void internationalPhoneShapedDigitRunsDoNotBacktrack() {
    // "+1" then a digit run too long for any phone: every split of the run into up to six groups
    // was tried at every '+' before the pattern gave up.
    String text = ("+1" + "2".repeat(40) + "x ").repeat(2_000);
    assertThat(timed("phone", text)).isEqualTo(text);
  }

  @Test
  void manyUnmatchedPemBeginMarkersDoNotRescanTheText() {
    // Each BEGIN without an END made the lazy body scan to the end of the text: quadratic.
    String text = "-----BEGIN RSA PRIVATE KEY----- x\n".repeat(20_000);
    String out = timed("pem", text);
    assertThat(out).doesNotContain("BEGIN RSA PRIVATE KEY-----");
  }

  @Test
  void aCutPemBlockWithManyLinesDoesNotOverflowTheStack() {
    // A key block cut before its END line, with very many body lines: the per-line group loop
    // recursed once per line.
    String text =
        "key:\n-----BEGIN PRIVATE KEY-----" + "\nQUJD".repeat(200_000) + "\n\nafter the key";
    assertThat(timed("cut pem", text)).isEqualTo("key:\n<SECRET>\nafter the key");
  }

  @Test
  void aVeryLongDottedDomainDoesNotOverflowTheStack() {
    String text = "write to x@" + "a.".repeat(50_000) + "com today";
    assertThat(timed("domain", text)).startsWith("write to x@");
  }
}
