package dev.sparkllm.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Refuses an output that is, contains or lies inside one of the job's inputs, compared after
 * resolving relative paths, {@code file:} URIs, local symbolic links and globs (each match counts),
 * so that replacing the output can never delete the data being read.
 */
final class InputOverlap {
  private InputOverlap() {}

  static void check(String output, List<String> inputs) {
    String out = canonical(output);
    for (String in : inputs) {
      if (in == null || in.isBlank()) {
        continue;
      }
      for (String r : resolved(in)) {
        String how =
            out.equals(r)
                ? "is"
                : r.startsWith(out + "/") ? "contains" : out.startsWith(r + "/") ? "lies in" : null;
        if (how != null) {
          throw new SparkLlmException(
              "output "
                  + output
                  + " "
                  + how
                  + " the input "
                  + in
                  + "; writing there could destroy the data being read, so choose an --output"
                  + " outside the inputs");
        }
      }
    }
  }

  /** An input as canonical paths: every glob match, or the part before the glob if none. */
  private static List<String> resolved(String in) {
    List<String> out = new ArrayList<>();
    if (!in.matches(".*[*?\\[{].*")) {
      out.add(canonical(in));
      return out;
    }
    Path p = Storage.path(in);
    FileSystem fs = Storage.fs(p);
    try {
      FileStatus[] matches = fs.globStatus(p);
      if (matches != null) {
        for (FileStatus st : matches) {
          out.add(canonical(st.getPath().toString()));
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // An unreadable glob is reported by the job itself; its root still counts below.
    }
    if (out.isEmpty()) {
      String root = in.replaceAll("[*?\\[{].*$", "");
      int slash = root.lastIndexOf('/');
      out.add(canonical(slash <= 0 ? "." : root.substring(0, slash)));
    }
    return out;
  }

  /** Qualified, without a trailing slash, and for local paths with symbolic links resolved. */
  static String canonical(String p) {
    Path q = Storage.fs(Storage.path(p)).makeQualified(Storage.path(p));
    if (!"file".equals(q.toUri().getScheme())) {
      return strip(q.toString());
    }
    java.nio.file.Path local = Paths.get(q.toUri()).normalize();
    java.nio.file.Path existing = local;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null) {
      try {
        local = existing.toRealPath().resolve(existing.relativize(local)).normalize();
      } catch (IOException e) {
        // Unresolvable links: compare the path as given.
      }
    }
    return "file:" + strip(local.toString());
  }

  private static String strip(String s) {
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
