package dev.sparkllm.serving;

import dev.sparkllm.core.SparkLlmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * API keys (Bearer tokens) from a file and/or an environment variable, an optional separate key for
 * /metrics, and a per-key rate limit. Keys are kept only as SHA-256 digests and compared with
 * {@link MessageDigest#isEqual} against every key, so timing tells nothing about a key; no key is
 * ever logged.
 */
final class Auth {
  private final List<byte[]> keys = new ArrayList<>();
  private final byte[] metricsKey;
  private final int perMinute;
  private final Map<String, long[]> windows = new ConcurrentHashMap<>();

  Auth(ServeSettings s, Map<String, String> env) {
    if (s.apiKeysFile() != null) {
      try {
        for (String line : Files.readAllLines(Path.of(s.apiKeysFile()), StandardCharsets.UTF_8)) {
          String k = line.strip();
          if (!k.isEmpty() && !k.startsWith("#")) {
            keys.add(digest(k));
          }
        }
      } catch (IOException e) {
        throw new SparkLlmException(
            "cannot read serve.api_keys_file " + s.apiKeysFile() + ": " + e.getMessage());
      }
      if (keys.isEmpty()) {
        throw new SparkLlmException(
            "serve.api_keys_file " + s.apiKeysFile() + " holds no key; put one key a line");
      }
    }
    String fromEnv = s.apiKeysEnv() == null ? null : env.get(s.apiKeysEnv());
    if (fromEnv != null) {
      for (String k : fromEnv.split(",")) {
        if (!k.isBlank()) {
          keys.add(digest(k.strip()));
        }
      }
    }
    String m = s.metricsKeyEnv() == null ? null : env.get(s.metricsKeyEnv());
    this.metricsKey = m == null || m.isBlank() ? null : digest(m.strip());
    this.perMinute = s.rateLimitPerMinute();
  }

  boolean enabled() {
    return !keys.isEmpty();
  }

  /** Null when the request may go on; else the 401 to answer. */
  ApiError checkApi(String authorization) {
    if (keys.isEmpty()) {
      return null;
    }
    byte[] given = bearer(authorization);
    if (given == null || !anyEqual(given)) {
      return unauthorized();
    }
    if (perMinute > 0) {
      String id = HexFormat.of().formatHex(given);
      long minute = System.currentTimeMillis() / 60_000;
      long[] w = windows.computeIfAbsent(id, x -> new long[2]);
      synchronized (w) {
        if (w[0] != minute) {
          w[0] = minute;
          w[1] = 0;
        }
        if (++w[1] > perMinute) {
          return new ApiError(
              429,
              "rate_limit_error",
              null,
              "rate_limit_exceeded",
              "more than serve.rate_limit_per_minute (" + perMinute + ") requests this minute");
        }
      }
    }
    return null;
  }

  /** /metrics takes its own key when one is set, else the API keys. */
  ApiError checkMetrics(String authorization) {
    if (metricsKey == null) {
      return checkApi(authorization);
    }
    byte[] given = bearer(authorization);
    return given != null && MessageDigest.isEqual(given, metricsKey) ? null : unauthorized();
  }

  private boolean anyEqual(byte[] given) {
    boolean ok = false;
    for (byte[] k : keys) {
      ok |= MessageDigest.isEqual(given, k); // no early exit: every key is compared
    }
    return ok;
  }

  private static byte[] bearer(String header) {
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return digest(header.substring(7).strip());
  }

  private static ApiError unauthorized() {
    return new ApiError(
        401,
        "invalid_request_error",
        null,
        "invalid_api_key",
        "missing or invalid API key; send Authorization: Bearer <key>");
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
