package dev.sparkllm.preprocessing.finetune;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkllm.core.Json;
import dev.sparkllm.preprocessing.tokenizer.TokenEncoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The chat template against Hugging Face's own libraries (fixture made by make_fixture.js in
 * src/test/resources/chat-template with @huggingface/jinja and the Node binding of HF tokenizers):
 * the Jinja form stored with the model renders exactly the text the Java renderer trains on, and
 * that text encodes to the same ids.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ChatTemplateInteropTest {
  static final Path DIR = Path.of("src/test/resources/chat-template");

  @Test
  void jinjaFormMatchesTheJavaRendererAndHfEncoding() throws Exception {
    assertThat(Files.readString(DIR.resolve("chat_template.jinja"))).isEqualTo(ChatTemplate.JINJA);
    ChatTemplate t = new ChatTemplate("<|endoftext|>");
    JsonNode cases = Json.MAPPER.readTree(DIR.resolve("expected.json").toFile());
    assertThat(cases).hasSize(2);
    try (TokenEncoder enc =
        TokenEncoder.load(
            Path.of("src/test/resources/tokenizer-interop/tokenizer.json").toString())) {
      for (JsonNode c : cases) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
          messages.add(new ChatTemplate.Message(m.get("role").asText(), m.get("content").asText()));
        }
        ChatTemplate.Rendered r = t.render(messages);
        assertThat(r.prompt()).isEqualTo(c.get("prompt").asText());
        String full = r.prompt() + r.response() + "<|endoftext|>";
        assertThat(full).isEqualTo(c.get("full").asText());
        int[] expected = new int[c.get("ids").size()];
        for (int i = 0; i < expected.length; i++) {
          expected[i] = c.get("ids").get(i).asInt();
        }
        assertThat(enc.encode(full)).containsExactly(expected);
      }
    }
  }
}
