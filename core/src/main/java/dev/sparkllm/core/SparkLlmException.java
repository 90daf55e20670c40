package dev.sparkllm.core;

/**
 * An error the user can act on. Its message is one line that names the file, key or path at fault
 * and says what to do; the CLI prints it without a stack trace.
 */
public class SparkLlmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SparkLlmException(String message) {
    super(message);
  }

  public SparkLlmException(String message, Throwable cause) {
    super(message, cause);
  }
}
