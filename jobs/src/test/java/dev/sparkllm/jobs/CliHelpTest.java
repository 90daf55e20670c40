package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every subcommand answers --help on stdout with exit code 0 and lists its own options. */
class CliHelpTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "preprocess      | --input --output --overwrite --config --set --master --conf --verbose",
        "train-tokenizer | --input --output --type --vocab-size --min-frequency --set --master",
        "tokenize        | --input --tokenizer --output --seq-len --mode --set --master",
        "train           | --data --output --preset --init-from --resume --config --set --master",
        "finetune        | --base --data --output --method --tokenizer --resume --auto-resume",
        "generate        | --checkpoint --tokenizer --chat --prompt --max-tokens --temperature",
        "export          | --checkpoint --output --tokenizer --overwrite --config --set",
        "merge           | --base --adapter --output --overwrite",
        "demo            | --output --input --finetune",
        "benchmark       | --output --mb --seed --presets --replicas --wire --micro-sizes",
        "evaluate        | --checkpoint --data --output --tasks --overwrite --set --master",
        "report          | --run --output --verbose",
        "serve           | --checkpoint --tokenizer --host --port --config --set",
      })
  void subcommandHelp(String command, String options) {
    CliCapture c = CliCapture.run(command, "--help");
    assertThat(c.exitCode).isZero();
    assertThat(c.err).isEmpty();
    assertThat(c.out).startsWith("Usage: spark-llm " + command);
    for (String option : options.split(" ")) {
      assertThat(c.out).contains(option);
    }
  }

  @ParameterizedTest
  @CsvSource({"--help", "help"})
  void topLevelHelpListsEverySubcommand(String arg) {
    CliCapture c = CliCapture.run(arg);
    assertThat(c.exitCode).isZero();
    for (String command :
        new String[] {
          "preprocess",
          "train-tokenizer",
          "tokenize",
          "train",
          "finetune",
          "generate",
          "export",
          "merge",
          "demo",
          "benchmark",
          "evaluate",
          "report",
          "serve"
        }) {
      assertThat(c.out).contains("  " + command + " ");
    }
  }
}
