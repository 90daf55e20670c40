package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigReferenceTest {
  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  @Test
  void referenceDocumentsEveryDefaultKeyAndIsUpToDate() throws Exception {
    String md = ConfigReference.markdown();
    if (Boolean.getBoolean("update.docs")) {
      Files.writeString(DOC, md);
    }
    // Every leaf key of the defaults appears with its full dotted name.
    assertThat(md)
        .contains("| `preprocess.gopher_quality.min_doc_words` | `50` |")
        .contains("| `preprocess.steps` | `[html_clean,")
        .contains("| `training.distributed.replicas` |")
        .contains("## `tokenize`");
    assertThat(Files.readString(DOC))
        .as(
            "docs/configuration.md is stale; regenerate it with ./mvnw -pl core test"
                + " -Dtest=ConfigReferenceTest -Dupdate.docs=true")
        .isEqualTo(md);
  }

  @Test
  void nestedSectionsAndCommentsBecomeRows() {
    String md =
        ConfigReference.markdown(
            "# Top section.\ntop:\n  # The a key.\n  a: 1\n  sub:\n    # List | pipe.\n"
                + "    b: [x,\n        y]\n");
    assertThat(md)
        .contains("## `top`\n\nTop section.")
        .contains("| `top.a` | `1` | The a key. |")
        .contains("| `top.sub.b` | `[x, y]` | List \\| pipe. |");
  }
}
