package dev.sparkllm.preprocessing.steps.clean;

import dev.sparkllm.preprocessing.steps.TextModifier;
import java.util.Set;
import java.util.regex.Pattern;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.parser.Parser;
import org.jsoup.select.NodeFilter;
import org.jsoup.select.NodeTraversor;

/**
 * Removes HTML markup, keeping the text. Block elements become line breaks ({@code <div>, <li>,
 * <br>, <tr>}) or paragraph breaks ({@code <p>}, headings, lists, tables, {@code <blockquote>,
 * <pre>}); {@code <script>, <style>} and similar lose their content; entities are decoded.
 *
 * <p>Most corpus text is not HTML, so the step tries hard not to parse: text without {@code '<'} or
 * {@code '&'} is returned as is, and text with {@code '&'} but no tag only has its entities
 * decoded. Only known HTML tag names count as markup, so "a &lt; b" or "List&lt;String&gt;" in
 * plain text is never handed to an HTML parser that would swallow it.
 *
 * <p>When the markup has block-level tags, the source is laid out as HTML: whitespace inside text
 * runs collapses to one space (hard-wrapped source lines are not line breaks). With inline tags
 * only ({@code <b>}, {@code <a>}), the text is plain text with some markup, so its own newlines
 * stay.
 */
public final class HtmlCleaner extends TextModifier {
  private static final long serialVersionUID = 1L;
  public static final String NAME = "html_clean";

  // Known tag names only, so "List<String>" or "a <b" in plain text is not mistaken for markup.
  private static final String TAG_NAMES =
      "a|abbr|address|article|aside|audio|b|big|blockquote|body|br|button|caption|center|cite"
          + "|code|col|colgroup|dd|del|details|dfn|div|dl|dt|em|embed|fieldset|figcaption|figure"
          + "|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|label|legend"
          + "|li|link|main|mark|meta|nav|noscript|object|ol|option|p|picture|pre|q|s|samp|script"
          + "|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table"
          + "|tbody|td|template|textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr";
  private static final Pattern TAG =
      Pattern.compile("(?i)</?(?:" + TAG_NAMES + ")(?:\\s[^<>]*)?/?>|<!--|<!doctype\\s");
  private static final Pattern BLOCK_TAG =
      Pattern.compile(
          "(?i)</?(?:p|br|div|li|ul|ol|dl|dt|dd|h[1-6]|table|tr|td|th|blockquote|pre|section"
              + "|article|header|footer|nav|main|aside|figure|html|body|head|title|hr|form)"
              + "(?:\\s[^<>]*)?/?>");

  private static final Set<String> SKIP =
      Set.of(
          "script",
          "style",
          "noscript",
          "template",
          "svg",
          "math",
          "iframe",
          "object",
          "canvas",
          "select",
          "head");
  private static final Set<String> PARAGRAPH =
      Set.of(
          "p",
          "h1",
          "h2",
          "h3",
          "h4",
          "h5",
          "h6",
          "blockquote",
          "pre",
          "ul",
          "ol",
          "dl",
          "table",
          "section",
          "article",
          "header",
          "footer",
          "aside",
          "figure",
          "hr",
          "title");
  private static final Set<String> LINE =
      Set.of(
          "br",
          "div",
          "li",
          "dt",
          "dd",
          "tr",
          "caption",
          "figcaption",
          "nav",
          "main",
          "form",
          "fieldset",
          "legend",
          "details",
          "summary",
          "address",
          "option",
          "body",
          "html");
  private static final Set<String> CELL = Set.of("td", "th");

  public HtmlCleaner() {
    super(NAME);
  }

  @Override
  protected String modify(String text) {
    if (text.indexOf('<') < 0 && text.indexOf('&') < 0) {
      return text;
    }
    if (!TAG.matcher(text).find()) {
      return text.indexOf('&') < 0 ? text : Parser.unescapeEntities(text, false);
    }
    boolean htmlLayout = BLOCK_TAG.matcher(text).find();
    org.jsoup.nodes.Document html = Jsoup.parse(text);
    // <title> lives in <head>, which is skipped as a whole (meta, link, base carry no text).
    Element title = html.head().selectFirst("title");
    Layout out = new Layout(text.length(), htmlLayout);
    if (title != null) {
      out.text(title.text());
      out.breakLines(2);
    }
    NodeTraversor.filter(out, html);
    return out.result();
  }

  /** Walks the DOM and writes text with line breaks; one instance per document. */
  private static final class Layout implements NodeFilter {
    private final StringBuilder sb;
    private final boolean collapse;
    private int preDepth;
    private int pendingBreaks;
    private boolean pendingSpace;

    Layout(int capacity, boolean collapse) {
      this.sb = new StringBuilder(capacity);
      this.collapse = collapse;
    }

    @Override
    public FilterResult head(Node node, int depth) {
      if (node instanceof TextNode) {
        String t = ((TextNode) node).getWholeText();
        if (collapse && preDepth == 0) {
          text(t);
        } else {
          raw(t);
        }
      } else if (node instanceof Element) {
        String tag = ((Element) node).normalName();
        if (SKIP.contains(tag)) {
          return FilterResult.SKIP_ENTIRELY;
        }
        if ("pre".equals(tag) || "textarea".equals(tag)) {
          preDepth++;
        }
        separate(tag);
      }
      return FilterResult.CONTINUE;
    }

    @Override
    public FilterResult tail(Node node, int depth) {
      if (node instanceof Element) {
        String tag = ((Element) node).normalName();
        if ("pre".equals(tag) || "textarea".equals(tag)) {
          preDepth--;
        }
        if (!"br".equals(tag)) {
          separate(tag);
        }
      }
      return FilterResult.CONTINUE;
    }

    private void separate(String tag) {
      if (PARAGRAPH.contains(tag)) {
        breakLines(2);
      } else if (LINE.contains(tag)) {
        breakLines(1);
      } else if (CELL.contains(tag)) {
        pendingSpace = true;
      }
    }

    void breakLines(int n) {
      pendingBreaks = Math.max(pendingBreaks, n);
      pendingSpace = false;
    }

    /** Appends text with HTML whitespace rules: any whitespace run is one space. */
    void text(String t) {
      for (int i = 0, n = t.length(); i < n; i++) {
        char c = t.charAt(i);
        if (Character.isWhitespace(c) || c == '\u00A0') {
          pendingSpace = true;
        } else {
          flush();
          sb.append(c);
        }
      }
    }

    /** Appends text keeping its own line breaks. */
    private void raw(String t) {
      if (t.isEmpty()) {
        return;
      }
      flush();
      sb.append(t);
    }

    private void flush() {
      if (pendingBreaks > 0) {
        if (sb.length() > 0) {
          trimTrailingSpaces();
          int have = 0;
          for (int i = sb.length() - 1; i >= 0 && sb.charAt(i) == '\n' && have < 2; i--) {
            have++;
          }
          for (int i = have; i < pendingBreaks; i++) {
            sb.append('\n');
          }
        }
        pendingBreaks = 0;
        pendingSpace = false;
      } else if (pendingSpace) {
        int len = sb.length();
        if (len > 0 && !Character.isWhitespace(sb.charAt(len - 1))) {
          sb.append(' ');
        }
        pendingSpace = false;
      }
    }

    private void trimTrailingSpaces() {
      int len = sb.length();
      while (len > 0 && (sb.charAt(len - 1) == ' ' || sb.charAt(len - 1) == '\t')) {
        len--;
      }
      sb.setLength(len);
    }

    String result() {
      return sb.toString().strip();
    }
  }
}
