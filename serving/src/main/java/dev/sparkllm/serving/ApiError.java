package dev.sparkllm.serving;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the server refuses, answered in the OpenAI error shape: {@code {"error": {"message",
 * "type", "param", "code"}}}. {@code param} names the offending field.
 */
final class ApiError extends RuntimeException {
  final int status;
  final String type;
  final String param;
  final String code;

  ApiError(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  static ApiError invalid(String param, String message) {
    return new ApiError(400, "invalid_request_error", param, null, message);
  }

  Map<String, Object> body() {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("message", getMessage());
    e.put("type", type);
    e.put("param", param);
    e.put("code", code);
    return Map.of("error", e);
  }
}
