package dev.sparkllm.preprocessing.steps;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.steps.clean.ControlCharRemover;
import dev.sparkllm.preprocessing.steps.clean.HtmlCleaner;
import dev.sparkllm.preprocessing.steps.clean.UnicodeNfkc;
import dev.sparkllm.preprocessing.steps.clean.WhitespaceNormalizer;
import dev.sparkllm.preprocessing.steps.filters.C4QualityFilter;
import dev.sparkllm.preprocessing.steps.filters.GopherQualityFilter;
import dev.sparkllm.preprocessing.steps.filters.GopherRepetitionFilter;
import dev.sparkllm.preprocessing.steps.lang.LanguageFilter;
import dev.sparkllm.preprocessing.steps.normalize.ContractionExpander;
import dev.sparkllm.preprocessing.steps.normalize.EmojiHandler;
import dev.sparkllm.preprocessing.steps.normalize.Lowercaser;
import dev.sparkllm.preprocessing.steps.normalize.PunctuationRemover;
import dev.sparkllm.preprocessing.steps.normalize.Stemmer;
import dev.sparkllm.preprocessing.steps.normalize.StopwordRemover;
import dev.sparkllm.preprocessing.steps.pii.PiiRedactor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/** Step name (as in config) to constructor. */
final class StepNames {
  static final Map<String, Function<Config, DocumentStep>> ALL = new LinkedHashMap<>();

  static {
    ALL.put(HtmlCleaner.NAME, c -> new HtmlCleaner());
    ALL.put(ControlCharRemover.NAME, c -> new ControlCharRemover());
    ALL.put(UnicodeNfkc.NAME, c -> new UnicodeNfkc());
    ALL.put(WhitespaceNormalizer.NAME, c -> new WhitespaceNormalizer());
    ALL.put(Lowercaser.NAME, c -> new Lowercaser());
    ALL.put(PunctuationRemover.NAME, c -> new PunctuationRemover());
    ALL.put(ContractionExpander.NAME, c -> new ContractionExpander());
    ALL.put(StopwordRemover.NAME, StopwordRemover::new);
    ALL.put(Stemmer.NAME, Stemmer::new);
    ALL.put(EmojiHandler.NAME, EmojiHandler::new);
    ALL.put(GopherQualityFilter.NAME, GopherQualityFilter::new);
    ALL.put(GopherRepetitionFilter.NAME, GopherRepetitionFilter::new);
    ALL.put(C4QualityFilter.NAME, C4QualityFilter::new);
    ALL.put(LanguageFilter.NAME, LanguageFilter::new);
    ALL.put(PiiRedactor.NAME, PiiRedactor::new);
  }

  private StepNames() {}
}
