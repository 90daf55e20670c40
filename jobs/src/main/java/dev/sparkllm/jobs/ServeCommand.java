package dev.sparkllm.jobs;

import dev.sparkllm.core.Config;
import dev.sparkllm.core.SparkLlmException;
import dev.sparkllm.core.Storage;
import dev.sparkllm.serving.LlmServer;
import dev.sparkllm.serving.ServeSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description =
        "Serve a checkpoint over an OpenAI-style REST API (docs/serving.md); SIGTERM drains.")
final class ServeCommand implements Callable<Integer> {
  @Option(
      names = "--checkpoint",
      required = true,
      paramLabel = "DIR",
      description =
          "A run directory (checkpoints/latest), a checkpoint or a Hugging Face GPT-2 dir.")
  String checkpoint;

  @Option(
      names = "--tokenizer",
      paramLabel = "FILE",
      description = "tokenizer.json (or its directory); default: tokenizer.json in the checkpoint.")
  String tokenizer;

  @Option(names = "--host", description = "Address to listen on (default serve.host, loopback).")
  String host;

  @Option(names = "--port", description = "Port (default serve.port; 0 = any free port).")
  Integer port;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "YAML config (local, file:// or s3a://); defaults: conf/defaults.yaml.")
  String config;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override one config key, e.g. --set serve.max_batch=32 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--adapter",
      paramLabel = "NAME=DIR",
      description =
          "A model fine-tuned from the base (finetune run or checkpoint; LoRA runs are served from"
              + " their merged weights), chosen per request by \"model\": NAME (repeatable).")
  List<String> adapters = new ArrayList<>();

  @Option(names = "--verbose", description = "Print stack traces of errors.")
  boolean verbose;

  @Override
  public Integer call() throws Exception {
    Config cfg = Config.load(config, overrides);
    ServeSettings s = ServeSettings.from(cfg).withAddress(host, port);
    String dir = GenerateCommand.resolveCheckpoint(checkpoint);
    String tok = tokenizer;
    if (tok == null) {
      tok = Storage.join(dir, "tokenizer.json");
      if (!Storage.exists(tok)) {
        throw new SparkLlmException(dir + " has no tokenizer.json; pass --tokenizer FILE");
      }
    }
    Path local = GenerateCommand.localTokenizer(tok);
    Map<String, String> named = new LinkedHashMap<>();
    for (String a : adapters) {
      int eq = a.indexOf('=');
      if (eq <= 0 || eq == a.length() - 1) {
        throw new SparkLlmException(
            "--adapter " + a + ": expected NAME=DIR (the name requests give as \"model\")");
      }
      named.put(a.substring(0, eq), GenerateCommand.resolveCheckpoint(a.substring(eq + 1)));
    }
    LlmServer server = LlmServer.start(s, cfg, dir, local, System.getenv(), named);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdown();
                  stopped.countDown();
                },
                "spark-llm-serve-shutdown"));
    stopped.await();
    return 0;
  }
}
