package dev.sparkllm.preprocessing.finetune;

import dev.sparkllm.core.SparkLlmException;
import java.io.Serializable;
import java.util.List;

/**
 * How chat {@code messages} become the text the model is trained on, and how a prompt is framed at
 * generation time. The default tokenizer has only {@code <|endoftext|>} and {@code <|pad|>} as
 * special tokens, so roles are plain-text markers (one format for every tokenizer):
 *
 * <pre>
 * ### System:\n{content}\n\n      (system and user turns)
 * ### User:\n{content}\n\n
 * ### Assistant:\n{content}{eos}   (assistant turns end with the end-of-text token)
 * </pre>
 *
 * The last message must be the assistant's: it is the response (the only tokens the loss counts);
 * everything before it, ending with {@code "### Assistant:\n"} (the generation prompt), is the
 * prompt. {@link #JINJA} is the same template in Hugging Face's Jinja form; it is stored with the
 * model ({@code chat_template.jinja} in checkpoints, {@code chat_template} in an export's {@code
 * tokenizer_config.json}) so {@code apply_chat_template} produces the same text.
 */
public final class ChatTemplate implements Serializable {
  public static final String FILE = "chat_template.jinja";

  /** The template above for transformers' {@code apply_chat_template}. */
  public static final String JINJA =
      "{% for message in messages %}"
          + "{% if message['role'] == 'assistant' %}"
          + "{{ '### Assistant:\\n' + message['content'] + eos_token }}"
          + "{% else %}"
          + "{{ '### ' + message['role'] | capitalize + ':\\n' + message['content'] + '\\n\\n' }}"
          + "{% endif %}"
          + "{% endfor %}"
          + "{% if add_generation_prompt %}{{ '### Assistant:\\n' }}{% endif %}";

  public static final String GENERATION_PROMPT = "### Assistant:\n";
  static final List<String> ROLES = List.of("system", "user", "assistant");

  private final String eos;

  public ChatTemplate(String eosToken) {
    this.eos = eosToken;
  }

  /** One chat turn. */
  public record Message(String role, String content) implements Serializable {}

  /** A conversation split into what the model reads and what it learns to answer. */
  public record Rendered(String prompt, String response) {}

  /**
   * Renders {@code messages}; throws {@link SparkLlmException} with a short reason key (see {@link
   * InstructionData}) when the conversation cannot be trained on.
   */
  public Rendered render(List<Message> messages) {
    if (messages.isEmpty()) {
      throw new BadRow("empty_messages", "messages is empty");
    }
    Message last = messages.get(messages.size() - 1);
    if (!"assistant".equals(last.role())) {
      throw new BadRow(
          "no_final_assistant", "the last message must be the assistant's (the response)");
    }
    StringBuilder prompt = new StringBuilder();
    for (Message m : messages.subList(0, messages.size() - 1)) {
      prompt.append(turn(m));
    }
    prompt.append(GENERATION_PROMPT);
    return new Rendered(prompt.toString(), last.content());
  }

  /** A single user prompt framed as a chat, as {@code generate} does for a fine-tuned model. */
  public String generationPrompt(String userText) {
    return turn(new Message("user", userText)) + GENERATION_PROMPT;
  }

  private String turn(Message m) {
    if ("assistant".equals(m.role())) {
      return GENERATION_PROMPT + m.content() + eos;
    }
    String role = m.role();
    return "### "
        + Character.toUpperCase(role.charAt(0))
        + role.substring(1)
        + ":\n"
        + m.content()
        + "\n\n";
  }

  /** A row that cannot be used, with the reason key it is counted under. */
  public static final class BadRow extends SparkLlmException {
    private final String reason;

    public BadRow(String reason, String message) {
      super(message);
      this.reason = reason;
    }

    public String reason() {
      return reason;
    }
  }
}
