package dev.sparkllm.preprocessing.steps.lang;

import com.github.pemistahl.lingua.api.IsoCode639_1;
import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetector;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.DocumentFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Language identification with <a href="https://github.com/pemistahl/lingua">lingua</a> (n-gram
 * models up to 5-grams, the most accurate JVM detector on short texts). Sets {@link Document#lang}
 * (lowercase ISO 639-1, {@value #UNKNOWN} when nothing can be told) and {@link
 * Document#langConfidence}, then rejects:
 *
 * <ul>
 *   <li>{@value #LOW_CONFIDENCE}: the top language is below {@code min_confidence} (gibberish,
 *       numbers, code, mixed languages);
 *   <li>{@value #NOT_ALLOWED}: confidently another language than those in {@code allowed}.
 * </ul>
 *
 * An empty {@code allowed} list rejects nothing: the language is only stored, e.g. to split a
 * multilingual corpus later.
 *
 * <p><b>Confidence.</b> Lingua 1.2.2 returns confidences <em>relative</em> to the best language,
 * which always gets 1.0, so its top value says nothing. We store the relative margin to the
 * runner-up, {@code 1 - second/best} (lingua's own "minimum relative distance"; 1.0 when the script
 * leaves a single candidate, 0.0 when no letters are left). It is the fraction by which the
 * runner-up's summed n-gram log-likelihood is worse, so it does not grow with text length the way a
 * naive-Bayes posterior (always about 1.0) would. Measured with the 7 default candidates: real
 * sentences 0.17-0.43, paragraphs of 1000-2500 characters at least 0.19; gibberish, lorem ipsum,
 * sentences mixing four languages and code 0.004-0.13. Hence the default threshold of 0.1.
 *
 * <p>Only the first {@value #MAX_CHARS} characters are read: lingua's cost grows linearly with the
 * text (every 1- to 5-gram is looked up for every candidate language), its accuracy stops improving
 * long before that length, and the opening of a document is the part least likely to be navigation
 * or a foreign-language footer.
 *
 * <p>Cost, 7 default candidates, docs of 1,000-2,500 characters, busy 2-core machine: building the
 * detector 0.07 s; the first 1,000 documents 3.3 s (includes loading the trigram models once per
 * JVM), then about 1.2 ms per document; heap about 90 MB. All 75 languages: about 1.4 GB preloaded
 * and 14-27 ms per document, so keep {@code candidates} short.
 */
public final class LanguageFilter extends DocumentFilter {
  private static final long serialVersionUID = 1L;

  public static final String NAME = "language";
  public static final String UNKNOWN = "unknown";
  public static final String NOT_ALLOWED = "lang_not_allowed";
  public static final String LOW_CONFIDENCE = "lang_low_confidence";

  /** Characters read per document (cut back to the last whitespace so no word is split). */
  static final int MAX_CHARS = 2000;

  /**
   * One detector per candidate set and JVM. Lingua keeps its models in static maps (hundreds of MB
   * for all languages), so every task of an executor must share them rather than load its own.
   */
  private static final Map<Set<IsoCode639_1>, LanguageDetector> DETECTORS =
      new ConcurrentHashMap<>();

  private final Set<String> allowed;
  private final double minConfidence;
  private final Set<IsoCode639_1> candidates;
  private transient LanguageDetector detector;

  public LanguageFilter(Config section) {
    super(NAME);
    this.allowed =
        new TreeSet<>(isoCodes(section, "allowed").stream().map(LanguageFilter::code).toList());
    this.candidates = new TreeSet<>(isoCodes(section, "candidates"));
    this.minConfidence = section.getDouble("min_confidence");
    if (minConfidence < 0 || minConfidence > 1) {
      throw new SparkLlmException(
          "config key 'preprocess.language.min_confidence' must be between 0 and 1, got "
              + minConfidence);
    }
    if (candidates.size() == 1) {
      throw new SparkLlmException(
          "config key 'preprocess.language.candidates' needs at least two languages (lingua picks"
              + " between candidates) or an empty list for all; to keep one language list it in"
              + " allowed and add the languages you expect to reject to candidates");
    }
    if (!candidates.isEmpty()) {
      for (String a : allowed) {
        if (!candidates.contains(IsoCode639_1.valueOf(a.toUpperCase(Locale.ROOT)))) {
          throw new SparkLlmException(
              "config key 'preprocess.language.allowed' has '"
                  + a
                  + "', which is not in preprocess.language.candidates, so it can never be"
                  + " detected; add it to candidates or leave candidates empty");
        }
      }
    }
  }

  @Override
  public void open() {
    if (detector == null) {
      detector = detector(candidates);
    }
  }

  @Override
  protected String reject(Document doc) {
    open();
    SortedMap<Language, Double> relative =
        detector.computeLanguageConfidenceValues(prefix(doc.text));
    Language top = null;
    double best = 0;
    double second = 0;
    // Lingua sorts by value, but do not rely on how it orders ties.
    for (Map.Entry<Language, Double> e : relative.entrySet()) {
      double v = e.getValue();
      if (v > best) {
        second = best;
        best = v;
        top = e.getKey();
      } else if (v > second) {
        second = v;
      }
    }
    if (top == null || top == Language.UNKNOWN || best <= 0) {
      doc.lang = UNKNOWN;
      doc.langConfidence = 0.0;
    } else {
      doc.lang = code(top.getIsoCode639_1());
      doc.langConfidence = 1.0 - second / best;
    }
    if (allowed.isEmpty()) {
      return null;
    }
    if (doc.lang.equals(UNKNOWN) || doc.langConfidence < minConfidence) {
      return LOW_CONFIDENCE;
    }
    return allowed.contains(doc.lang) ? null : NOT_ALLOWED;
  }

  /** Builds (and caches) the detector for a candidate set; empty = every language lingua knows. */
  static LanguageDetector detector(Set<IsoCode639_1> candidates) {
    return DETECTORS.computeIfAbsent(Set.copyOf(candidates), LanguageFilter::build);
  }

  private static LanguageDetector build(Set<IsoCode639_1> candidates) {
    LanguageDetectorBuilder builder =
        candidates.isEmpty()
            ? LanguageDetectorBuilder.fromAllLanguages()
            : LanguageDetectorBuilder.fromIsoCodes639_1(candidates.toArray(new IsoCode639_1[0]));
    // Not withPreloadedLanguageModels(): that loads all five n-gram orders, but lingua scores texts
    // of 120+ characters with trigrams only, so lazy loading (synchronized inside lingua, once per
    // JVM) needs a third of the heap (7 languages: ~90 MB instead of ~280 MB) and builds at once.
    return builder.build();
  }

  LanguageDetector detectorForTest() {
    return detector;
  }

  static String prefix(String text) {
    if (text == null) {
      return "";
    }
    if (text.length() <= MAX_CHARS) {
      return text;
    }
    int end = MAX_CHARS;
    while (end > MAX_CHARS / 2 && !Character.isWhitespace(text.charAt(end))) {
      end--;
    }
    return text.substring(0, end);
  }

  private static List<IsoCode639_1> isoCodes(Config section, String key) {
    List<IsoCode639_1> out = new ArrayList<>();
    for (String raw : section.getStringList(key)) {
      String c = raw.trim().toUpperCase(Locale.ROOT);
      IsoCode639_1 iso;
      try {
        iso = IsoCode639_1.valueOf(c);
      } catch (IllegalArgumentException e) {
        iso = IsoCode639_1.NONE;
      }
      if (iso == IsoCode639_1.NONE || Language.getByIsoCode639_1(iso) == Language.UNKNOWN) {
        throw new SparkLlmException(
            "config key 'preprocess.language."
                + key
                + "' has '"
                + raw
                + "', which is not an ISO 639-1 code lingua knows (e.g. en, de, fr)");
      }
      out.add(iso);
    }
    return out;
  }

  private static String code(IsoCode639_1 iso) {
    return iso.name().toLowerCase(Locale.ROOT);
  }
}
