package dev.sparkllm.preprocessing.steps.clean;

import static dev.sparkllm.preprocessing.steps.StepTesting.keep;
import static dev.sparkllm.preprocessing.steps.StepTesting.reason;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlCleanerTest {
  private final HtmlCleaner step = new HtmlCleaner();

  @Test
  void plainTextIsReturnedAsTheSameInstance() {
    String text = "No markup here.\n\nJust two paragraphs.";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void entitiesWithoutTagsAreDecodedWithoutParsing() {
    assertThat(keep(step, "Fish &amp; chips, caf&eacute; &lt;3, AT&T\nnext line"))
        .isEqualTo("Fish & chips, café <3, AT&T\nnext line");
  }

  @Test
  void textThatOnlyLooksLikeTagsIsLeftAlone() {
    String text = "if a < b and List<String> xs > 3 then\nstop";
    assertThat(keep(step, text)).isSameAs(text);
  }

  @Test
  void blockElementsBecomeParagraphAndLineBreaks() {
    String html =
        "<!DOCTYPE html><html><head><title>Page</title><style>p { color: red }</style></head>"
            + "<body><h1>Head</h1><p>One &amp; two.</p><div>Three<br>four</div>"
            + "<ul><li>a</li><li>b</li></ul><script>var x = 1;</script>"
            + "<table><tr><td>c1</td><td>c2</td></tr><tr><td>d1</td></tr></table></body></html>";
    assertThat(keep(step, html))
        .isEqualTo("Page\n\nHead\n\nOne & two.\n\nThree\nfour\n\na\nb\n\nc1 c2\nd1");
  }

  @Test
  void htmlSourceLineWrapsCollapseButPreKeepsItsLayout() {
    String html = "<p>a line\n   wrapped in the source</p>\n\n<pre>x = 1\n  y = 2</pre><p>end</p>";
    assertThat(keep(step, html)).isEqualTo("a line wrapped in the source\n\nx = 1\n  y = 2\n\nend");
  }

  @Test
  void inlineOnlyMarkupKeepsTheTextsOwnNewlines() {
    assertThat(keep(step, "Hello <b>bold</b> world.\n\nNext <i>para</i>, <a href=\"x\">link</a>."))
        .isEqualTo("Hello bold world.\n\nNext para, link.");
  }

  @Test
  void commentsAreDropped() {
    assertThat(keep(step, "<p>Text <!-- hidden --> more</p>")).isEqualTo("Text more");
  }

  @Test
  void markupWithoutTextLeavesAnEmptyDocument() {
    assertThat(reason(step, "<div><script>track()</script></div>")).isEqualTo("empty");
  }
}
