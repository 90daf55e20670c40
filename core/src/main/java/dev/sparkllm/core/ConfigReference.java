package dev.sparkllm.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration reference (docs/configuration.md), generated from the comments and values of
 * conf/defaults.yaml so that documentation and defaults cannot drift apart.
 */
public final class ConfigReference {
  private static final Pattern KEY = Pattern.compile("^( *)([A-Za-z0-9_.-]+):(?: (.*))?$");

  private ConfigReference() {}

  public static String markdown() {
    String yaml;
    try (InputStream in =
        ConfigReference.class.getClassLoader().getResourceAsStream(Config.DEFAULTS_RESOURCE)) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new SparkLlmException("cannot read " + Config.DEFAULTS_RESOURCE + " from the jar");
    }
    return markdown(yaml);
  }

  static String markdown(String yaml) {
    StringBuilder out = new StringBuilder();
    out.append("# Configuration reference\n\n")
        .append("Generated from [`conf/defaults.yaml`](../conf/defaults.yaml) by `ConfigReference`")
        .append(" (regenerate: `./mvnw -pl core test -Dtest=ConfigReferenceTest")
        .append(" -Dupdate.docs=true`). Override any key in a YAML file (`--config`) or with")
        .append(" `--set section.key=value`.\n");
    List<String> path = new ArrayList<>();
    List<Integer> indents = new ArrayList<>();
    List<String> comment = new ArrayList<>();
    boolean tableOpen = false;
    String[] lines = yaml.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      String t = line.strip();
      if (t.startsWith("#")) {
        comment.add(t.replaceFirst("^#+ ?", ""));
        continue;
      }
      Matcher m = KEY.matcher(line);
      if (t.isEmpty() || !m.matches()) {
        if (t.isEmpty()) {
          comment.clear();
        }
        continue;
      }
      int indent = m.group(1).length();
      while (!indents.isEmpty() && indents.get(indents.size() - 1) >= indent) {
        indents.remove(indents.size() - 1);
        path.remove(path.size() - 1);
      }
      String key = m.group(2);
      String value = m.group(3) == null ? "" : m.group(3).strip();
      // Flow lists may continue on the following, deeper-indented lines.
      while (value.startsWith("[") && !balanced(value) && i + 1 < lines.length) {
        value = value + " " + lines[++i].strip();
      }
      String full = path.isEmpty() ? key : String.join(".", path) + "." + key;
      String doc = String.join(" ", comment).replace("|", "\\|");
      comment.clear();
      if (value.isEmpty()) {
        path.add(key);
        indents.add(indent);
        if (indent == 0) {
          out.append("\n## `").append(key).append("`\n\n");
          if (!doc.isEmpty()) {
            out.append(doc).append("\n\n");
          }
          out.append("| key | default | meaning |\n|---|---|---|\n");
          tableOpen = true;
        } else if (tableOpen) {
          out.append("| **`").append(full).append("`** | | ").append(doc).append(" |\n");
        }
        continue;
      }
      out.append("| `")
          .append(full)
          .append("` | `")
          .append(value.replace("|", "\\|"))
          .append("` | ")
          .append(doc)
          .append(" |\n");
    }
    return out.toString();
  }

  private static boolean balanced(String v) {
    int depth = 0;
    for (char c : v.toCharArray()) {
      if (c == '[') {
        depth++;
      } else if (c == ']') {
        depth--;
      }
    }
    return depth == 0;
  }
}
