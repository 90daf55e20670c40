package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkllm.core.Config;
import dev.sparkllm.preprocessing.Document;
import dev.sparkllm.preprocessing.steps.lang.LanguageFilter;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CLI classpath holds the server (Javalin, Kotlin 1.9+, Jetty 11), Spark (shaded Jetty 11 on
 * the unshaded Servlet 5 API) and lingua (built with Kotlin 1.6): all must work on one classpath.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ClasspathKotlinTest {
  @Test
  void linguaAndJavalinShareTheKotlinStdlib() {
    LanguageFilter f =
        new LanguageFilter(Config.load(null, List.of()).section("preprocess.language"));
    Document de =
        new Document(
            "id",
            "t",
            "Der Stadtrat hat am Dienstag nach einer langen Debatte über Schulen und Straßen den"
                + " neuen Haushalt beschlossen. Der größte Teil des Geldes fließt in Brücken.");
    assertThat(f.apply(de)).isNotNull(); // rejected: not English
    io.javalin.Javalin app = io.javalin.Javalin.create().get("/", ctx -> {});
    assertThat(app).isNotNull();
  }

  /**
   * Spark's UI (on by default) needs Servlet 5 classes that Servlet 6 dropped: the server's Jetty
   * must not bring Servlet 6 onto the CLI classpath (Javalin 7 did; NoClassDefFoundError at session
   * start).
   */
  @Test
  void sparkUiServletClassesArePresent() throws Exception {
    assertThat(Class.forName("jakarta.servlet.SingleThreadModel")).isNotNull();
  }
}
