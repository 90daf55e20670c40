package dev.sparkllm.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file replaced by Storage.writeString is never absent, half-written or stale to a reader. */
class StorageAtomicWriteTest {
  @TempDir Path tmp;

  @AfterEach
  void resetHook() {
    Storage.beforeReplace = () -> {};
  }

  @Test
  void aConcurrentReaderAlwaysSeesAWholeVersion() throws Exception {
    String file = tmp.resolve("state.json").toString();
    String pad = "x".repeat(4000);
    Storage.writeString(file, "v0 " + pad);
    AtomicBoolean done = new AtomicBoolean();
    List<String> bad = new CopyOnWriteArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  String s = Storage.readString(file);
                  if (!s.matches("v\\d+ x{4000}")) {
                    bad.add("torn: " + s.length() + " chars");
                  }
                } catch (RuntimeException e) {
                  bad.add(e.getMessage());
                }
              }
            });
    reader.start();
    try {
      for (int i = 1; i <= 1500 && bad.isEmpty(); i++) {
        Storage.writeString(file, "v" + i + " " + pad);
      }
    } finally {
      done.set(true);
      reader.join();
    }
    assertThat(bad).isEmpty();
    assertThat(Storage.readString(file)).startsWith("v");
    // No temporary files are left behind.
    try (var names = Files.list(tmp)) {
      assertThat(names.map(p -> p.getFileName().toString())).containsExactly("state.json");
    }
  }

  @Test
  void aCrashBeforeTheRenameLeavesTheOldContent() {
    String file = tmp.resolve("metrics.jsonl").toString();
    Storage.writeString(file, "old");
    Storage.beforeReplace =
        () -> {
          throw new IllegalStateException("killed");
        };
    assertThatThrownBy(() -> Storage.writeString(file, "new")).hasMessage("killed");
    assertThat(Storage.readString(file)).isEqualTo("old");
  }

  @Test
  void replacesAFileHadoopWroteWithAChecksum() throws Exception {
    String file = tmp.resolve("a.txt").toString();
    try (var out = Storage.create(file)) {
      out.write("hadoop".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    assertThat(tmp.resolve(".a.txt.crc")).exists();
    Storage.writeString(file, "replaced");
    assertThat(Storage.readString(file)).isEqualTo("replaced");
  }
}
