package dev.sparkllm.preprocessing.steps.lang;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.Document;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class LanguageFilterTest {
  static final String EN =
      "The city council approved the new budget on Tuesday after a long debate about schools and"
          + " roads. Most of the money will go to repairing bridges that were built more than fifty"
          + " years ago.";
  static final String DE =
      "Der Stadtrat hat am Dienstag nach einer langen Debatte über Schulen und Straßen den neuen"
          + " Haushalt beschlossen. Der größte Teil des Geldes fließt in die Reparatur von Brücken.";
  static final String FR =
      "Le conseil municipal a adopté mardi le nouveau budget après un long débat sur les écoles et"
          + " les routes. La majeure partie de l'argent servira à réparer des ponts.";
  static final String ES =
      "El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre escuelas y"
          + " carreteras. La mayor parte del dinero se destinará a reparar puentes.";

  static LanguageFilter filter(String... overrides) {
    return new LanguageFilter(Config.load(null, List.of(overrides)).section("preprocess.language"));
  }

  static Document doc(String text) {
    return new Document("id", "test", text);
  }

  @Test
  void keepsAllowedLanguageAndRejectsOthersWithTheirLanguageStored() {
    LanguageFilter f = filter("preprocess.language.allowed=[en]");
    f.open();
    assertThat(f.name()).isEqualTo("language");

    Document en = doc(EN);
    assertThat(f.apply(en)).isNull();
    assertThat(en.lang).isEqualTo("en");
    assertThat(en.langConfidence).isBetween(0.15, 1.0);

    for (String[] c : new String[][] {{DE, "de"}, {FR, "fr"}, {ES, "es"}}) {
      Document d = doc(c[0]);
      assertThat(f.apply(d)).as(c[1]).isEqualTo(LanguageFilter.NOT_ALLOWED);
      assertThat(d.lang).isEqualTo(c[1]);
      assertThat(d.langConfidence).as(c[1]).isGreaterThan(0.15);
    }
  }

  @Test
  void severalAllowedLanguages() {
    LanguageFilter f = filter("preprocess.language.allowed=[de, fr]");
    assertThat(f.apply(doc(DE))).isNull();
    assertThat(f.apply(doc(FR))).isNull();
    assertThat(f.apply(doc(EN))).isEqualTo(LanguageFilter.NOT_ALLOWED);
  }

  @Test
  void numbersAndPunctuationAreUnknownWithZeroConfidence() {
    LanguageFilter f = filter();
    for (String text : new String[] {"123 456 7890 3.14 2023-01-15", "!!! ??? ...", "", "   "}) {
      Document d = doc(text);
      assertThat(f.apply(d)).as(text).isEqualTo(LanguageFilter.LOW_CONFIDENCE);
      assertThat(d.lang).isEqualTo("unknown");
      assertThat(d.langConfidence).isEqualTo(0.0);
    }
  }

  @Test
  void gibberishAndMixedLanguagesAreLowConfidence() {
    LanguageFilter f = filter();
    for (String text :
        new String[] {
          "asdf jkl qwer uiop zxcv",
          "sdkjfh skdjfh wieury xmcnvb qpwoei alskdj zmxncb",
          "lorem ipsum dolor sit amet, consectetur adipiscing elit",
          "The meeting is tomorrow. Das Treffen ist morgen. La réunion est demain. La reunión es"
              + " mañana."
        }) {
      Document d = doc(text);
      assertThat(f.apply(d)).as(text).isEqualTo(LanguageFilter.LOW_CONFIDENCE);
      assertThat(d.langConfidence).as(text).isLessThan(0.1);
      assertThat(d.lang).isNotEqualTo("unknown");
    }
  }

  @Test
  void emptyAllowedListKeepsEverythingButStoresTheLanguage() {
    LanguageFilter f = filter("preprocess.language.allowed=[]");
    String[][] cases = {{EN, "en"}, {DE, "de"}, {FR, "fr"}, {ES, "es"}, {"42 17 3.5", "unknown"}};
    for (String[] c : cases) {
      Document d = doc(c[0]);
      assertThat(f.apply(d)).as(c[1]).isNull();
      assertThat(d.lang).isEqualTo(c[1]);
    }
    Document gibberish = doc("asdf jkl qwer uiop zxcv");
    assertThat(f.apply(gibberish)).isNull();
    assertThat(gibberish.langConfidence).isLessThan(0.1);
  }

  @Test
  void minConfidenceIsApplied() {
    Document d = doc(EN);
    assertThat(filter("preprocess.language.min_confidence=0.99").apply(d))
        .isEqualTo(LanguageFilter.LOW_CONFIDENCE);
    assertThat(d.lang).isEqualTo("en");
    assertThat(filter("preprocess.language.min_confidence=0.0").apply(doc(EN))).isNull();
  }

  @Test
  void aScriptOnlyOneCandidateUsesHasFullConfidence() {
    LanguageFilter f =
        filter("preprocess.language.candidates=[en, el]", "preprocess.language.allowed=[en]");
    Document d = doc("Το δημοτικό συμβούλιο ενέκρινε την Τρίτη τον νέο προϋπολογισμό.");
    assertThat(f.apply(d)).isEqualTo(LanguageFilter.NOT_ALLOWED);
    assertThat(d.lang).isEqualTo("el");
    assertThat(d.langConfidence).isEqualTo(1.0);
  }

  @Test
  void detectorIsSharedPerCandidateSet() {
    LanguageFilter a = filter();
    LanguageFilter b = filter("preprocess.language.candidates=[nl, pt, it, es, fr, de, en]");
    a.open();
    b.open();
    assertThat(a.detectorForTest()).isSameAs(b.detectorForTest());
    LanguageFilter c = filter("preprocess.language.candidates=[en, de]");
    c.open();
    assertThat(c.detectorForTest()).isNotSameAs(a.detectorForTest());
  }

  @Test
  void survivesJavaSerializationLikeAShippedStep() throws Exception {
    LanguageFilter f = filter();
    f.open();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(f);
    }
    LanguageFilter copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (LanguageFilter) in.readObject();
    }
    copy.open();
    Document d = doc(DE);
    assertThat(copy.apply(d)).isEqualTo(LanguageFilter.NOT_ALLOWED);
    assertThat(d.lang).isEqualTo("de");
  }

  @Test
  void readsOnlyTheOpeningOfLongDocumentsCutAtWhitespace() {
    String text = EN.repeat(40);
    String p = LanguageFilter.prefix(text);
    assertThat(p.length()).isLessThanOrEqualTo(LanguageFilter.MAX_CHARS);
    assertThat(p.length()).isGreaterThan(LanguageFilter.MAX_CHARS - 30);
    assertThat(Character.isWhitespace(text.charAt(p.length()))).isTrue();
    assertThat(LanguageFilter.prefix(EN)).isSameAs(EN);
    assertThat(LanguageFilter.prefix(null)).isEmpty();
    // A German tail after 2000 English characters does not change the verdict.
    Document d = doc(EN.repeat(20) + " " + DE.repeat(20));
    assertThat(filter().apply(d)).isNull();
    assertThat(d.lang).isEqualTo("en");
  }

  @Test
  void rejectsBadConfigWithTheKeyNamed() {
    assertThatThrownBy(() -> filter("preprocess.language.allowed=[english]"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.language.allowed")
        .hasMessageContaining("english");
    assertThatThrownBy(() -> filter("preprocess.language.candidates=[en, xx]"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("preprocess.language.candidates");
    assertThatThrownBy(() -> filter("preprocess.language.allowed=[sv]"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("not in preprocess.language.candidates");
    assertThatThrownBy(() -> filter("preprocess.language.candidates=[en]"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("at least two");
    assertThatThrownBy(() -> filter("preprocess.language.min_confidence=1.5"))
        .isInstanceOf(SparkLlmException.class)
        .hasMessageContaining("min_confidence");
  }

  @Test
  void defaultsBuild() {
    LanguageFilter f = new LanguageFilter(Config.defaults().section("preprocess.language"));
    assertThat(f.apply(doc(EN))).isNull();
  }
}
