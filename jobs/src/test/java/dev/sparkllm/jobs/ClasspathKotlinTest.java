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
 * The CLI classpath holds Javalin (Kotlin 2) and lingua (built with Kotlin 1.6) on one Kotlin
 * standard library: both must work on it.
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
    io.javalin.Javalin app = io.javalin.Javalin.create(c -> c.routes.get("/", ctx -> {}));
    assertThat(app).isNotNull();
  }
}
