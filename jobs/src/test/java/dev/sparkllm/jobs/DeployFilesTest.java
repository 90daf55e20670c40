package dev.sparkllm.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sparkllm.core.Secrets;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

/**
 * deploy/: the SparkApplication manifests, the Airflow DAGs and the spark-submit wrappers, checked
 * without a cluster (YAML structure, Python syntax, --dry-run command lines, shellcheck).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class DeployFilesTest {
  private static final Path DEPLOY = repoRoot().resolve("deploy");
  private static final String SECRET = "Sup3r-s3cret-value-that-must-not-leak";
  private static final String JAR = "/jars/spark-llm-test.jar";
  private static final String RUN_ID = "manual__2025-01-01T00:00:00+00:00";
  // The run's directory: its run id in path-safe characters and a hash of the original.
  private static final String RUN_ROOT =
      "s3a://spark-llm/out/manual__2025-01-01T00_00_00_00_00-31d00d8e";

  private static Path repoRoot() {
    // Surefire runs in the module directory (jobs/); the IDE may run from the root.
    Path here = Paths.get("").toAbsolutePath();
    return Files.isDirectory(here.resolve("deploy")) ? here : here.getParent();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"preprocess", "train-tokenizer", "tokenize", "train", "evaluate", "pipeline"})
  void manifestIsASparkApplicationForItsStage(String stage) throws IOException {
    JsonNode m =
        new ObjectMapper(new YAMLFactory())
            .readTree(DEPLOY.resolve("k8s").resolve(stage + ".yaml").toFile());
    assertThat(m.path("apiVersion").asText()).isEqualTo("sparkoperator.k8s.io/v1beta2");
    assertThat(m.path("kind").asText()).isEqualTo("SparkApplication");
    JsonNode spec = m.path("spec");
    assertThat(spec.path("type").asText()).isEqualTo("Java");
    assertThat(spec.path("mainClass").asText()).isEqualTo("dev.sparkllm.jobs.SparkLlm");
    assertThat(spec.path("mainApplicationFile").asText())
        .isEqualTo("local:///opt/spark-llm/spark-llm-jobs.jar");
    assertThat(spec.path("arguments").get(0).asText()).isEqualTo(stage);
    assertThat(spec.path("sparkConf").path("spark.driver.extraJavaOptions").asText())
        .contains("-Dai.djl.offline=true");
    assertThat(spec.path("sparkConf").path("spark.hadoop.fs.s3a.committer.name").asText())
        .isEqualTo("magic");
    assertThat(m.path("metadata").path("name").asText()).isEqualTo("spark-llm-" + stage);
    assertThat(spec.path("restartPolicy").path("type").asText()).isIn("OnFailure", "Never");
    assertThat(spec.path("executor").path("instances").isInt()).isTrue();
    // Keys reach the pods from a secret reference, never as literal values.
    for (JsonNode env : spec.path("driver").path("env")) {
      if (env.path("name").asText().startsWith("AWS_")) {
        assertThat(env.has("value")).isFalse();
        assertThat(env.path("valueFrom").path("secretKeyRef").path("name").asText())
            .isEqualTo("spark-llm-s3");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"train", "pipeline"})
  void trainingManifestsRunOneReplicaPerGpuExecutor(String stage) throws IOException {
    JsonNode spec = manifest(stage).path("spec");
    List<String> args = new ArrayList<>();
    spec.path("arguments").forEach(a -> args.add(a.asText()));
    // train takes --replicas N; pipeline only the config key.
    String replicas =
        stage.equals("train")
            ? args.get(args.indexOf("--replicas") + 1)
            : setting(args, "training.distributed.replicas");
    JsonNode executor = spec.path("executor");
    assertThat(executor.path("instances").asText()).isEqualTo(replicas);
    assertThat(executor.path("gpu").path("name").asText()).isEqualTo("nvidia.com/gpu");
    assertThat(executor.path("gpu").path("quantity").asInt()).isEqualTo(1);
    JsonNode conf = spec.path("sparkConf");
    assertThat(conf.path("spark.executor.resource.gpu.amount").asText()).isEqualTo("1");
    assertThat(conf.path("spark.executor.resource.gpu.vendor").asText()).isEqualTo("nvidia.com");
    assertThat(conf.path("spark.executor.resource.gpu.discoveryScript").asText())
        .isEqualTo("/opt/spark-llm/gpu/getGpusResources.sh");
    assertThat(conf.path("spark.task.resource.gpu.amount").asText()).isEqualTo("1");
    // One task slot per executor: one replica per GPU.
    assertThat(conf.path("spark.task.cpus").asText()).isEqualTo(executor.path("cores").asText());
    assertThat(conf.path("spark.dynamicAllocation.enabled").asText()).isEqualTo("false");
    assertThat(spec.path("dynamicAllocation").path("enabled").asBoolean(true)).isFalse();
    assertThat(conf.path("spark.speculation").asText()).isEqualTo("false");
    assertThat(conf.path("spark.stage.maxConsecutiveAttempts").asInt()).isGreaterThan(1);
    assertThat(conf.path("spark.scheduler.minRegisteredResourcesRatio").asText()).isEqualTo("1.0");
    assertThat(conf.path("spark.executorEnv.PYTORCH_LIBRARY_PATH").asText())
        .isEqualTo("/opt/libtorch/lib");
    assertThat(conf.path("spark.executorEnv.PYTORCH_VERSION").asText()).isEqualTo("2.7.1");
    assertThat(conf.path("spark.executorEnv.PYTORCH_FLAVOR").asText()).isEqualTo("cu128");
    // The executors' glibc malloc settings are the ones bin/spark-llm sets locally.
    launcherMallocSettings()
        .forEach(
            (name, value) ->
                assertThat(conf.path("spark.executorEnv." + name).asText())
                    .as(name)
                    .isEqualTo(value));
    // The driver only averages gradients.
    assertThat(spec.path("driver").has("gpu")).isFalse();
    assertThat(conf.has("spark.driver.resource.gpu.amount")).isFalse();
    // A fixed gradient-service port, declared on the driver pod for NetworkPolicies.
    String port = setting(args, "training.distributed.port");
    assertThat(Integer.parseInt(port)).isPositive();
    List<String> ports = new ArrayList<>();
    spec.path("driver").path("ports").forEach(p -> ports.add(p.path("containerPort").asText()));
    assertThat(ports).contains(port);
    // The ring among executors: its port is fixed and declared on the executor pods.
    assertThat(setting(args, "training.distributed.transport")).isEqualTo("ring");
    String ringPort = setting(args, "training.distributed.ring_port");
    List<String> executorPorts = new ArrayList<>();
    executor.path("ports").forEach(p -> executorPorts.add(p.path("containerPort").asText()));
    assertThat(executorPorts).contains(ringPort);
  }

  @Test
  void trainingManifestsRetryFailedRunsThatThenResume() throws IOException {
    // train resumes on a rerun because of --auto-resume; pipeline resumes by itself.
    JsonNode train = manifest("train").path("spec");
    List<String> args = strings(train.path("arguments"));
    assertThat(args).containsOnlyOnce("--auto-resume").doesNotContain("--resume");
    TrainCommand parsed = parsedTrain(args);
    assertThat(parsed.autoResume).isTrue();
    assertThat(parsed.resume).isFalse();
    JsonNode policy = train.path("restartPolicy");
    assertThat(policy.path("type").asText()).isEqualTo("OnFailure");
    assertThat(policy.path("onFailureRetries").asInt()).isPositive();
    assertThat(policy.path("onFailureRetryInterval").asInt()).isPositive();
    assertThat(policy.path("onSubmissionFailureRetries").asInt()).isPositive();
    JsonNode pipeline = manifest("pipeline").path("spec");
    assertThat(pipeline.path("restartPolicy").path("type").asText()).isEqualTo("OnFailure");
    assertThat(pipeline.path("restartPolicy").path("onFailureRetries").asInt()).isPositive();
    // pipeline has neither flag.
    assertThat(strings(pipeline.path("arguments"))).doesNotContain("--resume", "--auto-resume");
  }

  @Test
  void cudaProfileSwapsTheCpuNativesForCu128() throws Exception {
    Document pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(repoRoot().resolve("jobs/pom.xml").toFile());
    Element cuda = null;
    NodeList profiles = pom.getElementsByTagName("profile");
    for (int i = 0; i < profiles.getLength(); i++) {
      Element p = (Element) profiles.item(i);
      if (text(p, "id").equals("cuda")) {
        cuda = p;
      }
    }
    assertThat(cuda).as("profile cuda in jobs/pom.xml").isNotNull();
    List<String> added = new ArrayList<>();
    List<String> excludedFrom = new ArrayList<>();
    NodeList deps = cuda.getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      String coords = text(d, "groupId") + ":" + text(d, "artifactId");
      added.add(coords + ":" + text(d, "version") + ":" + text(d, "classifier"));
      NodeList ex = d.getElementsByTagName("exclusion");
      for (int j = 0; j < ex.getLength(); j++) {
        Element e = (Element) ex.item(j);
        if ((text(e, "groupId") + ":" + text(e, "artifactId"))
            .equals("ai.djl.pytorch:pytorch-native-cpu")) {
          excludedFrom.add(coords);
        }
      }
    }
    assertThat(added).contains("ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64");
    // Every module that brings the CPU natives to jobs, or the jar would carry both.
    assertThat(excludedFrom)
        .containsExactlyInAnyOrder(
            "dev.sparkllm:spark-llm-training", "dev.sparkllm:spark-llm-evaluation");
  }

  @Test
  void dockerfileCopiesTheJarTheManifestsRun() throws IOException {
    String docker = Files.readString(DEPLOY.resolve("k8s/Dockerfile"));
    assertThat(docker)
        .contains("ENV NVIDIA_DRIVER_CAPABILITIES=compute,utility")
        .contains("FROM ${SPARK_IMAGE}")
        .contains("apache/spark:4.1.1-scala2.13-java17-ubuntu")
        .contains(
            "COPY jobs/target/spark-llm-jobs-0.1.0-SNAPSHOT-spark-submit.jar"
                + " /opt/spark-llm/spark-llm-jobs.jar")
        .contains("/opt/spark-llm/gpu/getGpusResources.sh");
  }

  @ParameterizedTest
  @ValueSource(strings = {"spark_llm_dag.py", "spark_llm_k8s_dag.py", "spark_llm_params.py"})
  void dagCompiles(String dag, @TempDir Path tmp) throws Exception {
    Path file = DEPLOY.resolve("airflow").resolve(dag);
    // py_compile into the temp dir, so the source tree gets no __pycache__.
    Result r =
        run(
            List.of(
                python(),
                "-c",
                "import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2],"
                    + " doraise=True)",
                file.toString(),
                tmp.resolve("dag.pyc").toString()),
            Map.of());
    assertThat(r.exit).as(r.err).isZero();
    if (!dag.equals("spark_llm_params.py")) {
      assertThat(Files.readString(file))
          .contains("preprocess")
          .contains("train-tokenizer")
          .contains("import spark_llm_params as p")
          .contains("user_defined_filters=p.FILTERS");
    }
  }

  @Test
  void sparkSubmitDagTrainsOnGpuExecutorsAndAutoResumesOnEveryTry(@TempDir Path tmp)
      throws Exception {
    JsonNode dag =
        probeDag("spark_llm_dag.py", Map.of("SPARK_LLM_GPU", "1", "SPARK_LLM_REPLICAS", "4"), tmp);
    assertThat(dag.path("dag_id").asText()).isEqualTo("spark_llm");
    JsonNode train = task(dag, "train", "first");
    assertThat(train.path("java_class").asText()).isEqualTo("dev.sparkllm.jobs.SparkLlm");
    assertThat(train.path("retries").asInt()).isPositive();
    assertThat(train.path("files").asText()).endsWith("getGpusResources.sh");
    List<String> args = strings(train.path("application_args"));
    assertThat(args.subList(0, 3)).containsExactly("train", "--data", RUN_ROOT + "/tokens");
    assertThat(args).containsSubsequence("--replicas", "4");
    assertThatEveryTryAutoResumes(dag, args, t -> t.path("application_args"));
    JsonNode conf = train.path("conf");
    assertThat(conf.path("spark.executor.instances").asText()).isEqualTo("4");
    assertThat(conf.path("spark.task.cpus").asText())
        .isEqualTo(conf.path("spark.executor.cores").asText());
    assertThat(conf.path("spark.executor.resource.gpu.amount").asText()).isEqualTo("1");
    assertThat(conf.path("spark.task.resource.gpu.amount").asText()).isEqualTo("1");
    assertThat(conf.path("spark.executor.resource.gpu.discoveryScript").asText())
        .isEqualTo("./getGpusResources.sh");
    assertThat(conf.path("spark.dynamicAllocation.enabled").asText()).isEqualTo("false");
    assertThat(conf.path("spark.speculation").asText()).isEqualTo("false");
    assertThat(conf.path("spark.stage.maxConsecutiveAttempts").asText()).isEqualTo("4");
    assertThat(conf.has("spark.driver.resource.gpu.amount")).isFalse();
    // Stages in order, the output paths rendered without template leftovers.
    List<String> ids = new ArrayList<>();
    dag.path("tasks").forEach(t -> ids.add(t.path("first").path("task_id").asText()));
    assertThat(ids)
        .containsExactly("preprocess", "train_tokenizer", "tokenize", "train", "evaluate");
    assertThat(dag.toString()).doesNotContain("{{");

    JsonNode single =
        task(
            probeDag(
                "spark_llm_dag.py", Map.of("SPARK_LLM_GPU", "1", "SPARK_LLM_REPLICAS", "0"), tmp),
            "train",
            "first");
    assertThat(strings(single.path("application_args"))).doesNotContain("--replicas");
    assertThat(single.path("conf").path("spark.driver.resource.gpu.amount").asText())
        .isEqualTo("1");
    assertThat(single.path("conf").has("spark.executor.resource.gpu.amount")).isFalse();
  }

  @Test
  void kubernetesDagSubmitsTheManifestsWithTheRunsArguments(@TempDir Path tmp) throws Exception {
    JsonNode dag = probeDag("spark_llm_k8s_dag.py", Map.of("SPARK_LLM_REPLICAS", "2"), tmp);
    assertThat(dag.path("dag_id").asText()).isEqualTo("spark_llm_k8s");
    for (JsonNode t : dag.path("tasks")) {
      JsonNode app = t.path("first").path("template_spec");
      assertThat(app.path("kind").asText()).isEqualTo("SparkApplication");
      assertThat(app.path("metadata").path("name").asText())
          .startsWith("spark-llm-")
          .endsWith("-20250101t000000-1");
      assertThat(t.path("first").path("retries").asInt()).isPositive();
      // Airflow retries; the operator must not rerun the application as well.
      assertThat(app.path("spec").path("restartPolicy").path("onFailureRetries").asInt()).isZero();
    }
    JsonNode train = task(dag, "train", "first").path("template_spec").path("spec");
    List<String> args = strings(train.path("arguments"));
    assertThat(args.get(0)).isEqualTo("train");
    assertThat(args)
        .containsSubsequence("--data", RUN_ROOT + "/tokens")
        .containsSubsequence("--replicas", "2")
        .containsSubsequence("--set", "training.distributed.port=29500");
    assertThatEveryTryAutoResumes(
        dag, args, t -> t.path("template_spec").path("spec").path("arguments"));
    assertThat(train.path("executor").path("instances").asInt()).isEqualTo(2);
    assertThat(train.path("executor").path("gpu").path("quantity").asInt()).isEqualTo(1);
    assertThat(train.path("driver").has("gpu")).isFalse();
    // A new application per try (same arguments, checked above).
    JsonNode retry = task(dag, "train", "retry").path("template_spec");
    assertThat(retry.path("metadata").path("name").asText()).endsWith("-2");
    JsonNode last = task(dag, "train", "last").path("template_spec");
    assertThat(last.path("metadata").path("name").asText()).endsWith("-3");
    assertThat(dag.toString()).doesNotContain("{{");
  }

  @Test
  void yarnSingleReplicaTrainPutsTheGpuOnTheDriver() throws Exception {
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of("AWS_ACCESS_KEY_ID", "AKIATEST", "S3_ENDPOINT", "http://minio.test:9000"),
            "--dry-run",
            "--gpu",
            "train",
            "--data",
            "s3a://bucket/tokens",
            "--output",
            "s3a://bucket/run");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out)
        .startsWith("spark-submit \\\n")
        .contains("--master yarn \\")
        .contains("--deploy-mode cluster \\")
        .contains("--class dev.sparkllm.jobs.SparkLlm \\\n  " + JAR + " \\\n  train \\\n")
        .contains("--data s3a://bucket/tokens \\\n  --output s3a://bucket/run\n")
        .contains("--files " + DEPLOY.resolve("gpu/getGpusResources.sh"))
        .contains("--conf spark.driver.extraJavaOptions=-Dai.djl.offline=true")
        .contains("--conf spark.executor.extraJavaOptions=-Dai.djl.offline=true")
        .contains("--conf spark.hadoop.fs.s3a.endpoint=http://minio.test:9000")
        .contains("--conf spark.hadoop.fs.s3a.path.style.access=true")
        .contains("--conf spark.hadoop.fs.s3a.committer.name=magic")
        .contains(
            "--conf spark.sql.sources.commitProtocolClass="
                + "org.apache.spark.internal.io.cloud.PathOutputCommitProtocol")
        .contains(
            "--conf spark.hadoop.fs.s3a.aws.credentials.provider="
                + "software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider")
        .contains("--properties-file")
        .contains("--load-spark-defaults")
        .doesNotContain("--replicas")
        .doesNotContain(SECRET)
        .doesNotContain("AKIATEST");
    // The single replica trains on the driver: its GPU, none wasted on executors.
    assertThat(confs(r.out))
        .containsEntry("spark.dynamicAllocation.enabled", "false")
        .containsEntry("spark.speculation", "false")
        .containsEntry("spark.driver.resource.gpu.amount", "1")
        .containsEntry("spark.driver.resource.gpu.discoveryScript", "./getGpusResources.sh")
        .containsEntry("spark.executor.instances", "2")
        .doesNotContainKeys(
            "spark.executor.resource.gpu.amount",
            "spark.task.resource.gpu.amount",
            "spark.task.cpus",
            "spark.stage.maxConsecutiveAttempts");
    assertThat(r.err)
        .contains("spark.executorEnv.AWS_SECRET_ACCESS_KEY")
        .doesNotContain(SECRET)
        .doesNotContain("AKIATEST");
  }

  @Test
  void yarnDistributedTrainAsksForOneGpuExecutorPerReplica() throws Exception {
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of("SPARK_LLM_EXECUTOR_CORES", "8", "SPARK_LLM_MAX_ATTEMPTS", "6"),
            "--dry-run",
            "--gpu",
            "train",
            "--data",
            "s3a://bucket/tokens",
            "--output",
            "s3a://bucket/run",
            "--replicas",
            "4");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(occurrences(r.out, "--class ")).isEqualTo(1);
    assertThat(occurrences(r.out, JAR)).isEqualTo(1);
    assertThat(r.out)
        .contains("--master yarn \\")
        .contains("--files " + DEPLOY.resolve("gpu/getGpusResources.sh"))
        .contains("--class dev.sparkllm.jobs.SparkLlm \\\n  " + JAR + " \\\n  train \\\n")
        // Passed through once, unchanged, as the job's own option.
        .endsWith("--output s3a://bucket/run \\\n  --replicas 4\n")
        .doesNotContain("--num-executors")
        .doesNotContain("spark.driver.resource.gpu")
        .doesNotContain(SECRET);
    assertThat(occurrences(r.out, "--replicas")).isEqualTo(1);
    assertThat(confs(r.out))
        .containsEntry("spark.executor.instances", "4")
        // One task slot per executor, so one replica per executor and GPU.
        .containsEntry("spark.executor.cores", "8")
        .containsEntry("spark.task.cpus", "8")
        .containsEntry("spark.executor.resource.gpu.amount", "1")
        .containsEntry("spark.task.resource.gpu.amount", "1")
        .containsEntry("spark.executor.resource.gpu.discoveryScript", "./getGpusResources.sh")
        .containsEntry("spark.dynamicAllocation.enabled", "false")
        .containsEntry("spark.speculation", "false")
        .containsEntry("spark.stage.maxConsecutiveAttempts", "6")
        .containsEntry("spark.task.maxFailures", "4")
        .containsEntry("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .containsEntry("spark.driver.extraJavaOptions", "-Dai.djl.offline=true")
        .doesNotContainKeys(
            "spark.driver.resource.gpu.amount", "spark.executor.resource.gpu.vendor");
  }

  /** MALLOC_* defaults exported by bin/spark-llm, by name (the one place they are chosen). */
  private static Map<String, String> launcherMallocSettings() {
    String launcher;
    try {
      launcher = Files.readString(repoRoot().resolve("bin/spark-llm"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Map<String, String> out = new LinkedHashMap<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("export (MALLOC_\\w+_)=\"\\$\\{\\1:-(\\d+)\\}\"")
            .matcher(launcher);
    while (m.find()) {
      out.put(m.group(1), m.group(2));
    }
    assertThat(out).hasSize(3);
    return out;
  }

  @Test
  void submitScriptsPassTheLaunchersMallocSettingsToExecutors() throws Exception {
    String common = Files.readString(DEPLOY.resolve("lib/submit-common.sh"));
    launcherMallocSettings()
        .forEach(
            (name, value) ->
                assertThat(common)
                    .contains(
                        "conf \"spark.executorEnv." + name + "=${" + name + ":-" + value + "}\""));
  }

  @Test
  void deployReadmeShowsTheRealYarnDryRun() throws Exception {
    String readme = Files.readString(DEPLOY.resolve("README.md"));
    int example = readme.indexOf("### YARN, 4 GPUs");
    int start = readme.indexOf("```text\n", example) + "```text\n".length();
    String shown = readme.substring(start, readme.indexOf("```", start));
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of("S3_ENDPOINT", "http://minio:9000", "SPARK_LLM_JAR", ""),
            "--dry-run",
            "--gpu",
            "train",
            "--data",
            "s3a://corpus/tokens",
            "--output",
            "s3a://corpus/run",
            "--preset",
            "mini",
            "--replicas",
            "4",
            "--auto-resume");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(shown).isEqualTo(r.out.replace(repoRoot().toString(), "/srv/spark-llm"));
  }

  @Test
  void scriptReplicasArePassedToTheJobAndMustAgreeWithIt() throws Exception {
    Result train =
        submit("submit-yarn.sh", Map.of(), "--dry-run", "--replicas", "2", "train", "--data", "d");
    assertThat(train.exit).as(train.err).isZero();
    assertThat(train.out).endsWith("train \\\n  --data d \\\n  --replicas 2\n");
    assertThat(confs(train.out))
        .containsEntry("spark.executor.instances", "2")
        .containsEntry("spark.task.cpus", "2")
        .doesNotContainKey("spark.executor.resource.gpu.amount");

    // --set beats --replicas in the job, so it sizes the executors too.
    Result set =
        submit(
            "submit-yarn.sh",
            Map.of(),
            "--dry-run",
            "train",
            "--replicas",
            "2",
            "--set",
            "training.distributed.replicas=3");
    assertThat(set.exit).as(set.err).isZero();
    assertThat(confs(set.out)).containsEntry("spark.executor.instances", "3");

    Result clash =
        submit("submit-yarn.sh", Map.of(), "--dry-run", "--replicas", "3", "train", "--replicas=2");
    assertThat(clash.exit).isEqualTo(2);
    assertThat(clash.err).contains("--replicas 3 disagrees with the job's own replica count 2");
    Result zero = submit("submit-yarn.sh", Map.of(), "--dry-run", "--replicas", "0", "train");
    assertThat(zero.exit).isEqualTo(2);
    assertThat(zero.err).contains("--replicas needs a count of 1 or more");
    Result notTrain =
        submit("submit-yarn.sh", Map.of(), "--dry-run", "--replicas", "2", "tokenize");
    assertThat(notTrain.exit).isEqualTo(2);
    assertThat(notTrain.err).contains("--replicas applies to train and pipeline, not tokenize");
    Result twoGpus =
        submit(
            "submit-yarn.sh",
            Map.of("SPARK_LLM_EXECUTOR_GPUS", "2"),
            "--dry-run",
            "--gpu",
            "train",
            "--replicas",
            "2");
    assertThat(twoGpus.exit).isEqualTo(2);
    assertThat(twoGpus.err).contains("unset SPARK_LLM_EXECUTOR_GPUS");
  }

  @Test
  void pipelineWithReplicasSetsTheConfigKeyAndGpuExecutors() throws Exception {
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of(),
            "--dry-run",
            "--gpu",
            "--replicas",
            "4",
            "pipeline",
            "--input",
            "s3a://b/raw",
            "--output",
            "s3a://b/p");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out)
        .contains("--class dev.sparkllm.jobs.SparkLlm \\\n  " + JAR + " \\\n  pipeline \\\n")
        // pipeline has no --replicas option: the config key it reads.
        .endsWith("--output s3a://b/p \\\n  --set training.distributed.replicas=4\n")
        .doesNotContain("--replicas")
        .doesNotContain("spark.driver.resource.gpu");
    assertThat(confs(r.out))
        .containsEntry("spark.executor.instances", "4")
        .containsEntry("spark.executor.resource.gpu.amount", "1")
        .containsEntry("spark.task.resource.gpu.amount", "1")
        .containsEntry("spark.dynamicAllocation.enabled", "false")
        .containsEntry("spark.speculation", "false")
        .containsEntry("spark.stage.maxConsecutiveAttempts", "4");
  }

  @Test
  void localLibtorchGoesWhereTheModelRunsWithVersionAndFlavour() throws Exception {
    Map<String, String> env = Map.of("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib");
    Result replicas =
        submit("submit-yarn.sh", env, "--dry-run", "--gpu", "train", "--replicas", "2");
    assertThat(replicas.exit).as(replicas.err).isZero();
    assertThat(confs(replicas.out))
        .containsEntry("spark.executorEnv.PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
        .containsEntry("spark.executorEnv.PYTORCH_VERSION", "2.7.1")
        .containsEntry("spark.executorEnv.PYTORCH_FLAVOR", "cu128")
        // The driver only averages gradients.
        .doesNotContainKey("spark.yarn.appMasterEnv.PYTORCH_LIBRARY_PATH");
    Result single = submit("submit-yarn.sh", env, "--dry-run", "--gpu", "train");
    assertThat(confs(single.out))
        .containsEntry("spark.yarn.appMasterEnv.PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
        .containsEntry("spark.yarn.appMasterEnv.PYTORCH_FLAVOR", "cu128");
    Result k8s =
        submit(
            "submit-k8s.sh",
            Map.of("K8S_API", "https://k8s.test:6443", "PYTORCH_LIBRARY_PATH", "/opt/lt/lib"),
            "--dry-run",
            "--gpu",
            "generate",
            "--checkpoint",
            "s3a://b/run");
    assertThat(confs(k8s.out))
        .containsEntry("spark.kubernetes.driverEnv.PYTORCH_LIBRARY_PATH", "/opt/lt/lib")
        .containsEntry("spark.driver.resource.gpu.amount", "1");
    Result none = submit("submit-yarn.sh", Map.of(), "--dry-run", "--gpu", "train");
    assertThat(none.out).doesNotContain("PYTORCH_");
  }

  @Test
  void yarnPreprocessWithoutGpuHasNoGpuOrTrainSettings() throws Exception {
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of(),
            "--dry-run",
            "--deploy-mode",
            "client",
            "preprocess",
            "--input",
            "s3a://b/raw dir",
            "--output",
            "s3a://b/pre");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out)
        .contains("--deploy-mode client")
        .contains("  preprocess \\\n  --input s3a://b/raw\\ dir \\\n  --output s3a://b/pre\n")
        .doesNotContain("gpu")
        .doesNotContain("dynamicAllocation")
        .doesNotContain("fs.s3a.endpoint=")
        .doesNotContain("--properties-file")
        .doesNotContain(SECRET);
  }

  @Test
  void k8sDistributedTrainDryRunWithGpuExecutorsAndSecretReferences() throws Exception {
    Result r =
        submit(
            "submit-k8s.sh",
            Map.of(
                "K8S_API", "https://k8s.test:6443",
                "SPARK_LLM_IMAGE", "registry.test/spark-llm:1",
                "K8S_NAMESPACE", "ml",
                "S3_SECRET_NAME", "s3-keys",
                "S3_ENDPOINT", "http://minio.ml:9000"),
            "--dry-run",
            "--gpu",
            "train",
            "--data",
            "s3a://b/tokens",
            "--output",
            "s3a://b/run",
            "--replicas",
            "4");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(occurrences(r.out, "--class ")).isEqualTo(1);
    assertThat(r.out)
        .contains("--master k8s://https://k8s.test:6443")
        .contains("--class dev.sparkllm.jobs.SparkLlm \\\n  " + JAR + " \\\n  train \\\n")
        .endsWith("--output s3a://b/run \\\n  --replicas 4\n")
        .doesNotContain("spark.driver.resource.gpu")
        .doesNotContain(SECRET);
    assertThat(confs(r.out))
        .containsEntry("spark.kubernetes.container.image", "registry.test/spark-llm:1")
        .containsEntry("spark.kubernetes.namespace", "ml")
        .containsEntry("spark.kubernetes.authenticate.driver.serviceAccountName", "spark-llm")
        .containsEntry(
            "spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY",
            "s3-keys:AWS_SECRET_ACCESS_KEY")
        .containsEntry(
            "spark.kubernetes.executor.secretKeyRef.AWS_ACCESS_KEY_ID", "s3-keys:AWS_ACCESS_KEY_ID")
        .containsEntry("spark.hadoop.fs.s3a.endpoint", "http://minio.ml:9000")
        .containsEntry("spark.executor.instances", "4")
        .containsEntry("spark.executor.cores", "2")
        .containsEntry("spark.task.cpus", "2")
        .containsEntry("spark.executor.resource.gpu.amount", "1")
        .containsEntry("spark.executor.resource.gpu.vendor", "nvidia.com")
        .containsEntry(
            "spark.executor.resource.gpu.discoveryScript", "/opt/spark-llm/gpu/getGpusResources.sh")
        .containsEntry("spark.task.resource.gpu.amount", "1")
        .containsEntry("spark.dynamicAllocation.enabled", "false")
        .containsEntry("spark.speculation", "false")
        .containsEntry("spark.stage.maxConsecutiveAttempts", "4")
        .doesNotContainKeys("spark.driver.resource.gpu.amount", "spark.driver.resource.gpu.vendor");
  }

  @Test
  void k8sSingleReplicaTrainGivesTheDriverPodTheGpu() throws Exception {
    Result r =
        submit(
            "submit-k8s.sh",
            Map.of("K8S_API", "https://k8s.test:6443"),
            "--dry-run",
            "--gpu",
            "train",
            "--data",
            "s3a://b/tokens");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(confs(r.out))
        .containsEntry("spark.driver.resource.gpu.amount", "1")
        .containsEntry("spark.driver.resource.gpu.vendor", "nvidia.com")
        .containsEntry(
            "spark.driver.resource.gpu.discoveryScript", "/opt/spark-llm/gpu/getGpusResources.sh")
        .doesNotContainKeys("spark.executor.resource.gpu.amount", "spark.task.resource.gpu.amount");
  }

  @Test
  void k8sDefaultJarIsTheOneInTheImage() throws Exception {
    Map<String, String> env = Map.of("K8S_API", "https://k8s.test:6443", "SPARK_LLM_JAR", "");
    Result r = submit("submit-k8s.sh", env, "--dry-run", "tokenize", "--input", "a");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).contains("local:///opt/spark-llm/spark-llm-jobs.jar \\\n  tokenize \\\n");
  }

  @Test
  void unknownCommandsAreRefusedAndPipelineGetsTrainSettings() throws Exception {
    Result pipeline =
        submit("submit-yarn.sh", Map.of(), "--dry-run", "pipeline", "--output", "s3a://b/p");
    assertThat(pipeline.exit).as(pipeline.err).isZero();
    assertThat(pipeline.out)
        .contains("--class dev.sparkllm.jobs.SparkLlm")
        .contains("pipeline")
        .contains("spark.dynamicAllocation.enabled=false");
    Result unknown = submit("submit-yarn.sh", Map.of(), "--dry-run", "pipelin");
    assertThat(unknown.exit).isEqualTo(2);
    assertThat(unknown.err).contains("unknown command 'pipelin'");
    Result bad = submit("submit-yarn.sh", Map.of(), "--dry-run", "--deploy-mode", "x", "train");
    assertThat(bad.exit).isEqualTo(2);
    assertThat(bad.err).contains("--deploy-mode must be cluster or client");
    Result noApi = submit("submit-k8s.sh", Map.of("K8S_API", ""), "--dry-run", "train");
    assertThat(noApi.exit).isEqualTo(2);
    assertThat(noApi.err).contains("K8S_API");
  }

  @Test
  void gpuDiscoveryWithoutNvidiaSmiReportsNoAddresses() throws Exception {
    // A PATH with bash's directory only: nvidia-smi cannot be found even on a GPU machine.
    Result r =
        run(
            List.of(bash(), DEPLOY.resolve("gpu/getGpusResources.sh").toString()),
            Map.of("PATH", new File(bash()).getParent()));
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).isEqualTo("{\"name\":\"gpu\",\"addresses\":[]}\n");
  }

  @Test
  void scriptsAreShellcheckClean() throws Exception {
    // -x follows both scripts into lib/submit-common.sh.
    requireInCi(onPath("shellcheck"), "shellcheck is not installed; scripts not checked");
    Result r =
        run(
            List.of(
                "shellcheck",
                "-x",
                DEPLOY.resolve("submit-yarn.sh").toString(),
                DEPLOY.resolve("submit-k8s.sh").toString(),
                DEPLOY.resolve("gpu/getGpusResources.sh").toString()),
            Map.of());
    assertThat(r.exit).as(r.out + r.err).isZero();
  }

  @ParameterizedTest
  @ValueSource(strings = {"spark_llm_dag.py", "spark_llm_k8s_dag.py"})
  void dagsRefuseParamsThatCouldLeaveTheirArgument(String dag, @TempDir Path tmp) throws Exception {
    // The config payload set spec.image in the DAG that rendered the manifest as YAML text.
    List<Map.Entry<String, String>> refused =
        List.of(
            Map.entry("config", "c.yaml'\n  image: evil:latest\n  z: 'y"),
            Map.entry("config", "--set=training.max_steps=1"),
            Map.entry("input", "s3a://b/raw\"\nimage: evil:latest\nvolumes: [{name: host}]"),
            Map.entry("output", "s3a://b/out\n  image: evil"),
            Map.entry("preset", "mini\"\nimage: evil"));
    for (Map.Entry<String, String> bad : refused) {
      String params = new ObjectMapper().writeValueAsString(Map.of(bad.getKey(), bad.getValue()));
      Result r = probe(dag, Map.of("DAG_PARAMS", params), tmp);
      assertThat(r.exit).as("%s=%s rendered: %s", bad.getKey(), bad.getValue(), r.out).isEqualTo(3);
      assertThat(r.err).contains("render failed: param '" + bad.getKey() + "'");
    }
  }

  @Test
  void kubernetesDagKeepsQuotesAndColonsOfAParamInsideItsOneArgument(@TempDir Path tmp)
      throws Exception {
    String input = "s3a://b/it's \"raw\": {image: evil}, # not a comment";
    JsonNode dag =
        probeDag(
            "spark_llm_k8s_dag.py",
            Map.of("DAG_PARAMS", new ObjectMapper().writeValueAsString(Map.of("input", input))),
            tmp);
    JsonNode app = task(dag, "preprocess", "first").path("template_spec");
    JsonNode manifest = manifest("preprocess");
    assertThat(strings(app.path("spec").path("arguments")))
        .containsExactly(
            "preprocess",
            "--input",
            input,
            "--output",
            RUN_ROOT + "/pre",
            "--overwrite",
            "--config",
            "/opt/spark-llm/conf/defaults.yaml");
    // Nothing but the arguments, name and restart policy differs from the manifest.
    for (String field : List.of("image", "driver", "executor", "sparkConf", "volumes")) {
      assertThat(app.path("spec").path(field))
          .as(field)
          .isEqualTo(manifest.path("spec").path(field));
    }
    List<String> fields = new ArrayList<>();
    app.path("spec").fieldNames().forEachRemaining(fields::add);
    List<String> manifestFields = new ArrayList<>();
    manifest.path("spec").fieldNames().forEachRemaining(manifestFields::add);
    assertThat(fields).isEqualTo(manifestFields);
  }

  @ParameterizedTest
  @ValueSource(strings = {"spark_llm_dag.py", "spark_llm_k8s_dag.py"})
  void eachDagRunWritesItsOwnStageDirectoriesNeverItsInput(String dag, @TempDir Path tmp)
      throws Exception {
    Function<JsonNode, List<String>> args =
        t ->
            strings(
                dag.startsWith("spark_llm_k8s")
                    ? t.path("template_spec").path("spec").path("arguments")
                    : t.path("application_args"));
    JsonNode run = probeDag(dag, Map.of(), tmp);
    List<String> outputs = new ArrayList<>();
    for (JsonNode t : run.path("tasks")) {
      List<String> a = args.apply(t.path("first"));
      String out = a.get(a.indexOf("--output") + 1);
      outputs.add(out);
      // A retry writes where the first try did: --overwrite only ever meets this run's tries.
      assertThat(args.apply(t.path("retry"))).isEqualTo(a);
      assertThat(args.apply(t.path("last"))).isEqualTo(a);
      if (a.contains("--input")) {
        String in = a.get(a.indexOf("--input") + 1);
        assertThat(in.equals("s3a://spark-llm/raw/") || in.startsWith(RUN_ROOT + "/")).isTrue();
        assertThat(in).isNotEqualTo(out);
      }
    }
    assertThat(outputs)
        .containsExactly(
            RUN_ROOT + "/pre",
            RUN_ROOT + "/tok",
            RUN_ROOT + "/tokens",
            RUN_ROOT + "/run",
            RUN_ROOT + "/eval");
    // Another run (same params) gets other directories; a path-safe run id is used as it is.
    JsonNode other = probeDag(dag, Map.of("DAG_RUN_ID", "nightly_7"), tmp);
    List<String> a = args.apply(task(other, "preprocess", "first"));
    assertThat(a.get(a.indexOf("--output") + 1)).isEqualTo("s3a://spark-llm/out/nightly_7/pre");
    // An input inside the runs root, or one holding it, is refused before anything runs.
    for (Map<String, String> clash :
        List.of(
            Map.of("input", "s3a://spark-llm/out/old-run/pre"),
            Map.of("input", "s3a://spark-llm/", "output", "s3a://spark-llm/out/"))) {
      Result r =
          probe(dag, Map.of("DAG_PARAMS", new ObjectMapper().writeValueAsString(clash)), tmp);
      assertThat(r.exit).as(r.out).isEqualTo(3);
      assertThat(r.err).contains("must not contain each other");
    }
  }

  @Test
  void dryRunMasksSecretsInConfsJobArgumentsAndJavaOptions() throws Exception {
    Result r =
        submit(
            "submit-yarn.sh",
            Map.of("SPARK_LLM_JAVA_OPTS", "-Dkeystore.password=" + SECRET + "-opts -Xss4m"),
            "--dry-run",
            "--conf",
            "spark.hadoop.fs.s3a.secret.key=" + SECRET + "-s3",
            "--conf",
            "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net=" + SECRET + "-azure",
            "--conf",
            "spark.hadoop.fs.s3a.encryption.key=" + SECRET + "-sse",
            "--conf",
            "spark.executorEnv.HF_TOKEN=" + SECRET + "-hf",
            "--conf",
            "spark.hadoop.fs.s3a.aws.credentials.provider=com.example.Provider",
            "preprocess",
            "--input",
            "https://reader:" + SECRET + "-url@corpus.test/raw",
            "--output",
            "s3a://b/pre",
            "--set",
            "spark.conf.spark.ssl.private.key=" + SECRET + "-set");
    assertThat(r.exit).as(r.err).isZero();
    assertThat(r.out).doesNotContain(SECRET).doesNotContain("\\*");
    assertThat(confs(r.out))
        .containsEntry("spark.hadoop.fs.s3a.secret.key", "'*****'")
        .containsEntry("spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net", "'*****'")
        .containsEntry("spark.hadoop.fs.s3a.encryption.key", "'*****'")
        .containsEntry("spark.executorEnv.HF_TOKEN", "'*****'")
        // Names where a secret comes from, not a secret.
        .containsEntry("spark.hadoop.fs.s3a.aws.credentials.provider", "com.example.Provider")
        .containsEntry(
            "spark.driver.extraJavaOptions",
            "-Dai.djl.offline=true\\ -Dkeystore.password='*****'\\ -Xss4m");
    assertThat(r.out)
        .contains("--input https://reader:'*****'@corpus.test/raw \\\n")
        .contains("--output s3a://b/pre \\\n")
        .endsWith("--set spark.conf.spark.ssl.private.key='*****'\n");
  }

  @Test
  void dryRunUsesTheSameSecretKeyRulesAsTheConfig() throws Exception {
    List<String> keys =
        List.of(
            "hf_token",
            "GITHUB_TOKEN",
            "spark.kubernetes.authenticate.submission.oauthToken",
            "spark.hadoop.fs.s3a.session.token",
            "spark.hadoop.fs.azure.account.key.acct.blob.core.windows.net",
            "spark.hadoop.fs.s3a.encryption.key",
            "spark.ssl.private.key",
            "privateKey",
            "api_keys",
            "spark.ssl.keyStorePassword",
            "spark.authenticate.secret",
            "db.passphrase",
            "eos_token",
            "pad_token",
            "max_new_tokens",
            "token_budget",
            "secret_token",
            "spark.hadoop.fs.s3a.aws.credentials.provider",
            "spark.kubernetes.driver.secretKeyRef.AWS_SECRET_ACCESS_KEY",
            "spark.executor.instances",
            "tokenizer");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                bash(),
                "-c",
                "source \"$0\"; for k; do if is_secret_key \"$k\"; then echo \"$k\"; fi; done",
                DEPLOY.resolve("lib/submit-common.sh").toString()));
    cmd.addAll(keys);
    Result r = run(cmd, Map.of());
    assertThat(r.exit).as(r.err).isZero();
    List<String> javaSecret = keys.stream().filter(Secrets::isSecretKey).toList();
    assertThat(javaSecret).hasSize(13);
    assertThat(r.out.lines().toList()).isEqualTo(javaSecret);
  }

  /** The --conf entries of a dry run; a key given twice fails (the last would silently win). */
  private static Map<String, String> confs(String dryRun) {
    Map<String, String> confs = new LinkedHashMap<>();
    for (String line : dryRun.split("\n")) {
      String l = line.strip();
      if (l.endsWith("\\")) {
        l = l.substring(0, l.length() - 1).strip();
      }
      if (l.startsWith("--conf ")) {
        String kv = l.substring("--conf ".length());
        int eq = kv.indexOf('=');
        assertThat(confs.put(kv.substring(0, eq), kv.substring(eq + 1)))
            .as("--conf %s given twice", kv.substring(0, eq))
            .isNull();
      }
    }
    return confs;
  }

  private static String text(Element parent, String child) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(child)) {
        return e.getTextContent().strip();
      }
    }
    return "";
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + part.length())) {
      n++;
    }
    return n;
  }

  /**
   * The DAG loaded against stand-ins for Airflow (src/test/resources/deploy/dag_probe.py), its
   * templates rendered for a first try and a retry.
   */
  private static JsonNode probeDag(String dag, Map<String, String> env, Path tmp) throws Exception {
    Result r = probe(dag, env, tmp);
    assertThat(r.exit).as(r.err).isZero();
    return new ObjectMapper().readTree(r.out);
  }

  private static Result probe(String dag, Map<String, String> env, Path tmp) throws Exception {
    Path probe = tmp.resolve("dag_probe.py");
    try (var in = DeployFilesTest.class.getResourceAsStream("/deploy/dag_probe.py")) {
      Files.copy(in, probe, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    Map<String, String> all = new HashMap<>();
    all.put("DAG_RUN_ID", RUN_ID);
    all.putAll(env);
    all.put("PYTHONDONTWRITEBYTECODE", "1");
    return run(
        List.of(python(), probe.toString(), DEPLOY.resolve("airflow").resolve(dag).toString()),
        all);
  }

  private static String python;

  /**
   * A python3 with jinja2 and PyYAML (the DAG probe needs both): the one on PATH, else Debian's
   * (.ci/run installs python3-jinja2 and python3-yaml). Without one the DAG tests are skipped on a
   * developer's machine and fail in CI.
   */
  private static synchronized String python() throws Exception {
    if (python == null) {
      python = "";
      for (String candidate : List.of("python3", "/usr/bin/python3")) {
        boolean exists =
            candidate.startsWith("/") ? new File(candidate).canExecute() : onPath(candidate);
        if (exists && run(List.of(candidate, "-c", "import jinja2, yaml"), Map.of()).exit == 0) {
          python = candidate;
          break;
        }
      }
    }
    requireInCi(!python.isEmpty(), "no python3 with jinja2 and PyYAML; DAGs not checked");
    return python;
  }

  /** Skips a test whose tool is missing, except in CI (CI=true), where that is a failure. */
  private static void requireInCi(boolean present, String what) {
    if ("true".equals(System.getenv("CI"))) {
      assertThat(present).as(what + " (CI installs it in .ci/run)").isTrue();
    }
    assumeThat(present).as(what).isTrue();
  }

  private static JsonNode task(JsonNode dag, String id, String attempt) {
    for (JsonNode t : dag.path("tasks")) {
      if (t.path(attempt).path("task_id").asText().equals(id)) {
        return t.path(attempt);
      }
    }
    throw new AssertionError("no task " + id);
  }

  /**
   * The train task runs one command on every try: the first, a retry and the last retry render the
   * same arguments, which carry --auto-resume (never --resume) and parse as a train command that
   * continues from checkpoints/latest when there is one.
   */
  private static void assertThatEveryTryAutoResumes(
      JsonNode dag, List<String> first, Function<JsonNode, JsonNode> args) {
    assertThat(first).containsOnlyOnce("--auto-resume").doesNotContain("--resume", "--verbose");
    for (String attempt : List.of("retry", "last")) {
      assertThat(strings(args.apply(task(dag, "train", attempt))))
          .as("train arguments on try '%s' (must equal the first try's)", attempt)
          .isEqualTo(first);
    }
    TrainCommand parsed = parsedTrain(first);
    assertThat(parsed.autoResume).isTrue();
    assertThat(parsed.resume).isFalse();
  }

  /** The arguments as the jar's main class parses them: they must name train and its options. */
  private static TrainCommand parsedTrain(List<String> args) {
    CommandLine.ParseResult parsed =
        new CommandLine(new SparkLlm()).parseArgs(args.toArray(String[]::new));
    assertThat(parsed.hasSubcommand()).as("a subcommand in %s", args).isTrue();
    assertThat(parsed.subcommand().commandSpec().userObject()).isInstanceOf(TrainCommand.class);
    return (TrainCommand) parsed.subcommand().commandSpec().userObject();
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  private static JsonNode manifest(String stage) throws IOException {
    return new ObjectMapper(new YAMLFactory())
        .readTree(DEPLOY.resolve("k8s").resolve(stage + ".yaml").toFile());
  }

  /** The value of "--set KEY=VALUE" in a job's arguments. */
  private static String setting(List<String> args, String key) {
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).equals("--set") && args.get(i + 1).startsWith(key + "=")) {
        return args.get(i + 1).substring(key.length() + 1);
      }
    }
    throw new AssertionError("no --set " + key + "=... in " + args);
  }

  private static Result submit(String script, Map<String, String> env, String... args)
      throws Exception {
    List<String> cmd = new ArrayList<>(List.of(bash(), DEPLOY.resolve(script).toString()));
    cmd.addAll(List.of(args));
    Map<String, String> all = new HashMap<>();
    // Set in every run: the scripts must never print it, whatever they are asked to do.
    all.put("AWS_SECRET_ACCESS_KEY", SECRET);
    all.put("SPARK_LLM_JAR", JAR);
    all.putAll(env);
    return run(cmd, all);
  }

  /** Absolute, so that a child with a reduced PATH still starts. */
  private static String bash() {
    String found = which("bash");
    return found == null ? "/bin/bash" : found;
  }

  private static boolean onPath(String program) {
    return which(program) != null;
  }

  private static String which(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, program);
      if (f.isFile() && f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(List<String> cmd, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> e = pb.environment();
    // The scripts read these; the test's own environment must not leak into the assertions.
    for (String k :
        List.of(
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "S3_ENDPOINT",
            "S3_REGION",
            "S3_SSL",
            "S3_CREDENTIALS",
            "S3_SECRET_NAME",
            "S3_COMMITTER",
            "SPARK_SUBMIT",
            "SPARK_HOME",
            "SPARK_LLM_JAVA_OPTS",
            "SPARK_LLM_EXTRA_JARS",
            "SPARK_LLM_QUEUE",
            "SPARK_LLM_EXECUTOR_GPUS",
            "SPARK_LLM_NUM_EXECUTORS",
            "SPARK_LLM_EXECUTOR_CORES",
            "SPARK_LLM_EXECUTOR_MEMORY",
            "SPARK_LLM_DRIVER_MEMORY",
            "SPARK_LLM_APP_NAME",
            "SPARK_LLM_MAX_ATTEMPTS",
            "SPARK_LLM_TASK_MAX_FAILURES",
            "SPARK_LLM_EXECUTOR_WAIT",
            "SPARK_LLM_GPU",
            "SPARK_LLM_REPLICAS",
            "SPARK_LLM_RETRIES",
            "SPARK_LLM_MANIFESTS",
            "PYTORCH_LIBRARY_PATH",
            "PYTORCH_VERSION",
            "PYTORCH_FLAVOR",
            "K8S_API",
            "K8S_NAMESPACE",
            "K8S_SERVICE_ACCOUNT",
            "SPARK_LLM_IMAGE")) {
      e.remove(k);
    }
    env.forEach(
        (k, v) -> {
          if (v.isEmpty()) {
            e.remove(k);
          } else {
            e.put(k, v);
          }
        });
    Process p = pb.start();
    p.getOutputStream().close();
    // Small outputs: read fully, then wait.
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out, err);
  }
}
