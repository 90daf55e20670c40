package dev.sparkllm.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/** Atomic replacement of a local file, below Hadoop's checksummed local filesystem. */
final class LocalFiles {
  private LocalFiles() {}

  /**
   * Writes {@code content} to a unique temporary sibling, forces it to disk, and renames it over
   * {@code target} in one step, so the target is never absent and never half-written.
   */
  static void replace(Path target, byte[] content, Runnable beforeReplace) throws IOException {
    Files.createDirectories(target.toAbsolutePath().getParent());
    Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + UUID.randomUUID());
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      beforeReplace.run();
      // Hadoop's local filesystem checks a file against its ".NAME.crc" when one exists; an old
      // one would not match the new content. Without it the file is read unchecked.
      Files.deleteIfExists(target.resolveSibling("." + target.getFileName() + ".crc"));
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
