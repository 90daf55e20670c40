package dev.sparkllm.preprocessing.steps.filters;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static dev.sparkllm.preprocessing.steps.StepTesting.section;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.Prose;
import org.junit.jupiter.api.Test;

class C4QualityFilterTest {
  private final C4QualityFilter step =
      new C4QualityFilter(Config.defaults().section("preprocess.c4_quality"));

  /** Five sentences on two lines that pass every line rule. */
  private static final String FIVE =
      "This is a sentence. Another one is here. And a third one.\n"
          + "We also keep this line! Is it fine?";

  @Test
  void keepsLinesWithTerminalPunctuationAndEnoughWords() {
    String text =
        "Title Line\nThis is a sentence. Another one is here. And a third one.\nMenu\nShort one.\n"
            + "We also keep this line! Is it fine?\nRead more:\n";
    assertThat(keep(step, text)).isEqualTo(FIVE);
  }

  @Test
  void unchangedTextIsTheSameInstance() {
    assertThat(keep(step, FIVE)).isSameAs(FIVE);
  }

  @Test
  void closingQuotesAreTerminalPunctuation() {
    String text =
        FIVE
            + "\nHe said, \u201CWe are done.\u201D\nShe said ``yes, of course.''\n"
            + "It was 'friendly and useful.'\nThey called it \u2018fair.\u2019\n"
            + "A plain \"quoted line.\"\n(See the second chapter.)\nAs noted [in the annex.]";
    assertThat(keep(step, text)).isEqualTo(text);
  }

  @Test
  void aBracketWithoutAMarkInsideIsNotTerminal() {
    assertThat(keep(step, FIVE + "\nSee the notes (below)\nA list: [one, two]")).isEqualTo(FIVE);
  }

  @Test
  void linesEndingInAnEllipsisAreRemoved() {
    assertThat(keep(step, FIVE + "\nAnd then he waited and waited...")).isEqualTo(FIVE);
  }

  @Test
  void paragraphBreaksBetweenKeptLinesStay() {
    String text =
        "This is a sentence. Another one is here.\n\nNav Bar\n\nAnd a third one. Four is"
            + " here. Five is here.";
    assertThat(keep(step, text))
        .isEqualTo(
            "This is a sentence. Another one is here.\n\nAnd a third one. Four is here. Five is"
                + " here.");
  }

  @Test
  void loremIpsumRejectsTheDocument() {
    assertThat(reason(step, FIVE + "\nLorem ipsum dolor sit amet.")).isEqualTo("lorem_ipsum");
  }

  @Test
  void curlyBracketRejectsTheDocumentOnlyInAKeptLine() {
    assertThat(reason(step, FIVE + "\nThe set {a, b} has two members.")).isEqualTo("curly_bracket");
    assertThat(keep(step, FIVE + "\nfunction f() { return 1 }")).isEqualTo(FIVE);
  }

  @Test
  void javascriptAndPolicyLinesAreRemoved() {
    String text =
        FIVE
            + "\nPlease enable JavaScript to view this page.\nThis site uses cookies to work well."
            + "\nRead our Privacy Policy before you sign up.";
    assertThat(keep(step, text)).isEqualTo(FIVE);
  }

  @Test
  void linesWithATooLongWordAreRemoved() {
    C4QualityFilter strict = new C4QualityFilter(section("c4_quality", "max_word_length=10"));
    assertThat(keep(strict, FIVE + "\nThis line has a supercalifragilistic word.")).isEqualTo(FIVE);
  }

  @Test
  void tooFewSentences() {
    assertThat(reason(step, "One sentence is here. Two sentences are here.\nThree is here."))
        .isEqualTo("too_few_sentences");
  }

  @Test
  void abbreviationsAndInitialsDoNotEndSentences() {
    assertThat(C4QualityFilter.countSentences("Mr. Smith met Dr. J. Jones in the U.S. Army."))
        .isEqualTo(1);
    assertThat(
            C4QualityFilter.countSentences("He said \u201CStop.\u201D Then he left! Why? 2 left."))
        .isEqualTo(4);
  }

  @Test
  void nothingLeftIsEmpty() {
    C4QualityFilter noMinimum = new C4QualityFilter(section("c4_quality", "min_sentences=0"));
    Document doc = new Document("d", "s", "Home\nAbout us\nContact");
    assertThat(noMinimum.apply(doc)).isEqualTo("empty");
    assertThat(doc.text).isEmpty();
  }

  @Test
  void citationsAreRemovedFromLines() {
    String text =
        "Paris is the capital of France.[1] It is large.[citation needed]\n"
            + "It has a river. It has a tower.[edit] It has many museums.[23]";
    assertThat(keep(step, text))
        .isEqualTo(
            "Paris is the capital of France. It is large.\n"
                + "It has a river. It has a tower. It has many museums.");
  }

  @Test
  void terminalPunctuationRuleCanBeTurnedOff() {
    C4QualityFilter lenient =
        new C4QualityFilter(section("c4_quality", "filter_no_terminal_punct=false"));
    assertThat(keep(lenient, FIVE + "\nA line without an end"))
        .isEqualTo(FIVE + "\nA line without an end");
  }

  @Test
  void ordinaryProseIsKeptWhole() {
    assertThat(keep(step, Prose.PARAGRAPHS)).isEqualTo(Prose.PARAGRAPHS.strip());
  }
}
