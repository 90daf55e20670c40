package dev.sparkllm.evaluation.metrics;

import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer as NLTK implements it in its default {@code NLTK_EXTENSIONS} mode (checked
 * against NLTK 3.8), which is what Google's {@code rouge-score} uses for {@code use_stemmer=True}.
 *
 * <p>Lucene's Porter stemmers implement the original 1980 algorithm; measured with Lucene 9.12's
 * Snowball {@code org.tartarus.snowball.ext.PorterStemmer}, they disagree with NLTK on common
 * words: {@code dies}/{@code lies}/{@code ties} (NLTK: die/lie/tie, Lucene: di/li/ti), {@code
 * dying}, {@code lying}, {@code skies}, {@code news}, {@code innings}, {@code proceed}, {@code
 * possibly} (possibl vs possibli), {@code crying} (cri vs cry). Any of those changes ROUGE scores,
 * so this class follows NLTK rule for rule instead.
 *
 * <p>Input is expected lowercase ASCII letters/digits (what the ROUGE tokenizer produces).
 */
final class NltkPorterStemmer {
  private static final Map<String, String> IRREGULAR =
      Map.ofEntries(
          Map.entry("sky", "sky"),
          Map.entry("skies", "sky"),
          Map.entry("dying", "die"),
          Map.entry("lying", "lie"),
          Map.entry("tying", "tie"),
          Map.entry("news", "news"),
          Map.entry("innings", "inning"),
          Map.entry("inning", "inning"),
          Map.entry("outings", "outing"),
          Map.entry("outing", "outing"),
          Map.entry("cannings", "canning"),
          Map.entry("canning", "canning"),
          Map.entry("howe", "howe"),
          Map.entry("proceed", "proceed"),
          Map.entry("exceed", "exceed"),
          Map.entry("succeed", "succeed"));

  private NltkPorterStemmer() {}

  static String stem(String word) {
    String irregular = IRREGULAR.get(word);
    if (irregular != null) {
      return irregular;
    }
    if (word.length() <= 2) {
      return word;
    }
    String s = step1a(word);
    s = step1b(s);
    s = step1c(s);
    s = step2(s);
    s = step3(s);
    s = step4(s);
    s = step5a(s);
    return step5b(s);
  }

  // A rule: suffix, replacement, condition on the stem left after removing the suffix.
  private record Rule(String suffix, String replacement, Predicate<String> condition) {}

  private static boolean isConsonant(String w, int i) {
    char c = w.charAt(i);
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u') {
      return false;
    }
    if (c == 'y') {
      return i == 0 || !isConsonant(w, i - 1);
    }
    return true;
  }

  /** m in [C](VC)^m[V]: the number of vowel-to-consonant transitions. */
  private static int measure(String stem) {
    int m = 0;
    for (int i = 1; i < stem.length(); i++) {
      if (!isConsonant(stem, i - 1) && isConsonant(stem, i)) {
        m++;
      }
    }
    return m;
  }

  private static boolean positiveMeasure(String stem) {
    return measure(stem) > 0;
  }

  private static boolean containsVowel(String stem) {
    for (int i = 0; i < stem.length(); i++) {
      if (!isConsonant(stem, i)) {
        return true;
      }
    }
    return false;
  }

  private static boolean endsDoubleConsonant(String w) {
    int n = w.length();
    return n >= 2 && w.charAt(n - 1) == w.charAt(n - 2) && isConsonant(w, n - 1);
  }

  private static boolean endsCvc(String w) {
    int n = w.length();
    if (n >= 3
        && isConsonant(w, n - 3)
        && !isConsonant(w, n - 2)
        && isConsonant(w, n - 1)
        && "wxy".indexOf(w.charAt(n - 1)) < 0) {
      return true;
    }
    // NLTK extension: a two-letter vowel-consonant word also counts.
    return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
  }

  private static String dropSuffix(String w, String suffix) {
    return w.substring(0, w.length() - suffix.length());
  }

  /** The first rule whose suffix matches decides, even when its condition fails. */
  private static String applyRules(String word, Rule... rules) {
    for (Rule r : rules) {
      if (r.suffix.equals("*d")) {
        if (endsDoubleConsonant(word)) {
          String stem = word.substring(0, word.length() - 2);
          return r.condition == null || r.condition.test(stem) ? stem + r.replacement : word;
        }
        continue;
      }
      if (word.endsWith(r.suffix)) {
        String stem = dropSuffix(word, r.suffix);
        return r.condition == null || r.condition.test(stem) ? stem + r.replacement : word;
      }
    }
    return word;
  }

  private static String step1a(String w) {
    if (w.endsWith("ies") && w.length() == 4) {
      return dropSuffix(w, "ies") + "ie";
    }
    return applyRules(
        w,
        new Rule("sses", "ss", null),
        new Rule("ies", "i", null),
        new Rule("ss", "ss", null),
        new Rule("s", "", null));
  }

  private static String step1b(String w) {
    if (w.endsWith("ied")) {
      return dropSuffix(w, "ied") + (w.length() == 4 ? "ie" : "i");
    }
    if (w.endsWith("eed")) {
      String stem = dropSuffix(w, "eed");
      return measure(stem) > 0 ? stem + "ee" : w;
    }
    String stem = null;
    for (String suffix : new String[] {"ed", "ing"}) {
      if (w.endsWith(suffix)) {
        String candidate = dropSuffix(w, suffix);
        if (containsVowel(candidate)) {
          stem = candidate;
          break;
        }
      }
    }
    if (stem == null) {
      return w;
    }
    char last = stem.charAt(stem.length() - 1);
    return applyRules(
        stem,
        new Rule("at", "ate", null),
        new Rule("bl", "ble", null),
        new Rule("iz", "ize", null),
        new Rule("*d", String.valueOf(last), s -> "lsz".indexOf(last) < 0),
        new Rule("", "e", s -> measure(s) == 1 && endsCvc(s)));
  }

  private static String step1c(String w) {
    // NLTK: y -> i only after a consonant that is not the whole stem (happy -> happi, enjoy stays).
    return applyRules(w, new Rule("y", "i", s -> s.length() > 1 && isConsonant(s, s.length() - 1)));
  }

  private static String step2(String w) {
    if (w.endsWith("alli") && positiveMeasure(dropSuffix(w, "alli"))) {
      return step2(dropSuffix(w, "alli") + "al");
    }
    Predicate<String> m0 = NltkPorterStemmer::positiveMeasure;
    return applyRules(
        w,
        new Rule("ational", "ate", m0),
        new Rule("tional", "tion", m0),
        new Rule("enci", "ence", m0),
        new Rule("anci", "ance", m0),
        new Rule("izer", "ize", m0),
        new Rule("bli", "ble", m0),
        new Rule("alli", "al", m0),
        new Rule("entli", "ent", m0),
        new Rule("eli", "e", m0),
        new Rule("ousli", "ous", m0),
        new Rule("ization", "ize", m0),
        new Rule("ation", "ate", m0),
        new Rule("ator", "ate", m0),
        new Rule("alism", "al", m0),
        new Rule("iveness", "ive", m0),
        new Rule("fulness", "ful", m0),
        new Rule("ousness", "ous", m0),
        new Rule("aliti", "al", m0),
        new Rule("iviti", "ive", m0),
        new Rule("biliti", "ble", m0),
        new Rule("fulli", "ful", m0),
        // NLTK tests the measure of the word minus "ogi", i.e. the stem plus its "l".
        new Rule("logi", "log", s -> positiveMeasure(w.substring(0, w.length() - 3))));
  }

  private static String step3(String w) {
    Predicate<String> m0 = NltkPorterStemmer::positiveMeasure;
    return applyRules(
        w,
        new Rule("icate", "ic", m0),
        new Rule("ative", "", m0),
        new Rule("alize", "al", m0),
        new Rule("iciti", "ic", m0),
        new Rule("ical", "ic", m0),
        new Rule("ful", "", m0),
        new Rule("ness", "", m0));
  }

  private static String step4(String w) {
    Predicate<String> m1 = s -> measure(s) > 1;
    return applyRules(
        w,
        new Rule("al", "", m1),
        new Rule("ance", "", m1),
        new Rule("ence", "", m1),
        new Rule("er", "", m1),
        new Rule("ic", "", m1),
        new Rule("able", "", m1),
        new Rule("ible", "", m1),
        new Rule("ant", "", m1),
        new Rule("ement", "", m1),
        new Rule("ment", "", m1),
        new Rule("ent", "", m1),
        new Rule("ion", "", s -> measure(s) > 1 && "st".indexOf(s.charAt(s.length() - 1)) >= 0),
        new Rule("ou", "", m1),
        new Rule("ism", "", m1),
        new Rule("ate", "", m1),
        new Rule("iti", "", m1),
        new Rule("ous", "", m1),
        new Rule("ive", "", m1),
        new Rule("ize", "", m1));
  }

  private static String step5a(String w) {
    if (w.endsWith("e")) {
      String stem = dropSuffix(w, "e");
      int m = measure(stem);
      if (m > 1 || (m == 1 && !endsCvc(stem))) {
        return stem;
      }
    }
    return w;
  }

  private static String step5b(String w) {
    return applyRules(w, new Rule("ll", "l", s -> measure(w.substring(0, w.length() - 1)) > 1));
  }
}
