package dev.sparkllm.serving;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import java.util.List;

/** The {@code serve} config section, read and checked once. */
public record ServeSettings(
    String host,
    int port,
    String modelName,
    String apiKeysFile,
    String apiKeysEnv,
    String metricsKeyEnv,
    String tlsCert,
    String tlsKey,
    long maxBodyBytes,
    int maxPromptTokens,
    int maxOutputTokens,
    int maxN,
    int maxBatch,
    int maxQueue,
    int requestTimeoutSeconds,
    int rateLimitPerMinute,
    int shutdownGraceSeconds,
    String chatMessageFormat,
    String chatAssistantPrefix,
    List<String> blockPatterns,
    SafetyNet.Action blockAction,
    String redactWith,
    boolean redactPii) {

  public static ServeSettings from(Config cfg) {
    Config s = cfg.section("serve");
    ServeSettings out =
        new ServeSettings(
            s.getString("host"),
            s.getInt("port"),
            s.getString("model_name"),
            s.getString("api_keys_file"),
            s.getString("api_keys_env"),
            s.getString("metrics_key_env"),
            s.getString("tls_cert"),
            s.getString("tls_key"),
            s.getLong("max_body_bytes"),
            s.getInt("max_prompt_tokens"),
            s.getInt("max_output_tokens"),
            s.getInt("max_n"),
            s.getInt("max_batch"),
            s.getInt("max_queue"),
            s.getInt("request_timeout_seconds"),
            s.getInt("rate_limit_per_minute"),
            s.getInt("shutdown_grace_seconds"),
            s.getString("chat_message_format"),
            s.getString("chat_assistant_prefix"),
            s.getStringList("block_patterns"),
            SafetyNet.Action.parse(s.getString("block_action")),
            s.getString("redact_with"),
            s.getBoolean("redact_pii"));
    out.check();
    return out;
  }

  /** The same settings listening on {@code host}:{@code port} (command-line flags). */
  public ServeSettings withAddress(String newHost, Integer newPort) {
    return new ServeSettings(
        newHost == null ? host : newHost,
        newPort == null ? port : newPort,
        modelName,
        apiKeysFile,
        apiKeysEnv,
        metricsKeyEnv,
        tlsCert,
        tlsKey,
        maxBodyBytes,
        maxPromptTokens,
        maxOutputTokens,
        maxN,
        maxBatch,
        maxQueue,
        requestTimeoutSeconds,
        rateLimitPerMinute,
        shutdownGraceSeconds,
        chatMessageFormat,
        chatAssistantPrefix,
        blockPatterns,
        blockAction,
        redactWith,
        redactPii);
  }

  private void check() {
    atLeast("serve.port", port, 0);
    if (port > 65535) {
      throw new SparkLlmException("config key 'serve.port' must be <= 65535, got " + port);
    }
    atLeast("serve.max_body_bytes", maxBodyBytes, 1);
    atLeast("serve.max_prompt_tokens", maxPromptTokens, 0);
    atLeast("serve.max_output_tokens", maxOutputTokens, 1);
    atLeast("serve.max_n", maxN, 1);
    atLeast("serve.max_batch", maxBatch, 1);
    atLeast("serve.max_queue", maxQueue, 0);
    atLeast("serve.request_timeout_seconds", requestTimeoutSeconds, 1);
    atLeast("serve.rate_limit_per_minute", rateLimitPerMinute, 0);
    atLeast("serve.shutdown_grace_seconds", shutdownGraceSeconds, 0);
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new SparkLlmException(
          "TLS needs both serve.tls_cert and serve.tls_key; set both or neither");
    }
    if (!chatMessageFormat.contains("{content}")) {
      throw new SparkLlmException(
          "config key 'serve.chat_message_format' must contain {content}, got "
              + chatMessageFormat);
    }
  }

  private static void atLeast(String key, long value, long min) {
    if (value < min) {
      throw new SparkLlmException("config key '" + key + "' must be >= " + min + ", got " + value);
    }
  }
}
