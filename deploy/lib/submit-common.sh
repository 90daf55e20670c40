# shellcheck shell=bash
# Shared by submit-yarn.sh and submit-k8s.sh: option parsing, the settings every cluster gets, and
# printing or running the spark-submit command. Sourced, not run.

readonly MAIN_CLASS="dev.sparkllm.jobs.SparkLlm"
# The stages, and pipeline (all of them from one config, resuming finished stages).
readonly COMMANDS="preprocess train-tokenizer tokenize train evaluate report generate pipeline"
readonly CREDENTIAL_PROVIDER_ENV="software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider"
readonly CREDENTIAL_PROVIDER_IRSA="software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider"
readonly CREDENTIAL_PROVIDER_INSTANCE="org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider"

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
readonly DEPLOY_DIR REPO_DIR

DRY_RUN=false
DEPLOY_MODE=cluster
GPU=false
COMMAND=""
EXTRA_CONF=()
APP_ARGS=()
SUBMIT=()

usage() {
  cat <<EOF
Usage: $(basename "$0") [--dry-run] [--deploy-mode cluster|client] [--gpu] [--conf spark.k=v]... <command> [command args...]

Commands: $COMMANDS (see bin/spark-llm <command> --help for their arguments).

  --dry-run       print the spark-submit command (one option per line, shell-quoted) and exit
  --deploy-mode   cluster (default) or client
  --gpu           request GPUs: one for the driver (train runs its single replica there today)
                  and SPARK_LLM_EXECUTOR_GPUS per executor (used once distributed training lands)
  --conf k=v      extra spark-submit setting (repeatable; wins over the script's defaults)

Environment: see deploy/README.md (SPARK_LLM_JAR, SPARK_LLM_NUM_EXECUTORS, S3_ENDPOINT, ...).
EOF
}

die() {
  echo "error: $*" >&2
  exit 2
}

parse_args() {
  while (($# > 0)); do
    case "$1" in
      --dry-run) DRY_RUN=true ;;
      --gpu) GPU=true ;;
      --deploy-mode)
        (($# >= 2)) || die "--deploy-mode needs cluster or client"
        DEPLOY_MODE="$2"
        shift
        ;;
      --deploy-mode=*) DEPLOY_MODE="${1#*=}" ;;
      --conf)
        (($# >= 2)) || die "--conf needs spark.key=value"
        EXTRA_CONF+=("$2")
        shift
        ;;
      -h | --help)
        usage
        exit 0
        ;;
      -*) die "unknown option '$1' (script options come before the command; see --help)" ;;
      *)
        COMMAND="$1"
        shift
        APP_ARGS=("$@")
        break
        ;;
    esac
    shift
  done
  [[ -n "$COMMAND" ]] || {
    usage >&2
    exit 2
  }
  [[ " $COMMANDS " == *" $COMMAND "* ]] \
    || die "unknown command '$COMMAND'; available: $COMMANDS"
  [[ "$DEPLOY_MODE" == cluster || "$DEPLOY_MODE" == client ]] \
    || die "--deploy-mode must be cluster or client, got '$DEPLOY_MODE'"
}

conf() {
  SUBMIT+=(--conf "$1")
}

# Settings that do not depend on the cluster manager.
common_confs() {
  local java_opts="-Dai.djl.offline=true${SPARK_LLM_JAVA_OPTS:+ $SPARK_LLM_JAVA_OPTS}"
  conf "spark.driver.extraJavaOptions=$java_opts"
  conf "spark.executor.extraJavaOptions=$java_opts"
  # pipeline contains train: it needs the same barrier-stage settings.
  if [[ "$COMMAND" == train || "$COMMAND" == pipeline ]]; then
    # The trainer's barrier stage needs all replicas at once and no duplicate attempts.
    conf "spark.dynamicAllocation.enabled=false"
    conf "spark.speculation=false"
  fi
  s3_confs
}

s3_confs() {
  if [[ -n "${S3_ENDPOINT:-}" ]]; then
    conf "spark.hadoop.fs.s3a.endpoint=$S3_ENDPOINT"
    conf "spark.hadoop.fs.s3a.path.style.access=true"
  fi
  if [[ -n "${S3_REGION:-}" ]]; then
    conf "spark.hadoop.fs.s3a.endpoint.region=$S3_REGION"
  fi
  if [[ -n "${S3_SSL:-}" ]]; then
    conf "spark.hadoop.fs.s3a.connection.ssl.enabled=$S3_SSL"
  fi
  if [[ "${S3_COMMITTER:-magic}" == magic ]]; then
    # Same settings as core's SparkOutputs; they need spark-hadoop-cloud on the cluster classpath.
    conf "spark.hadoop.fs.s3a.committer.name=magic"
    conf "spark.hadoop.fs.s3a.committer.magic.enabled=true"
    conf "spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3a=org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory"
    conf "spark.sql.sources.commitProtocolClass=org.apache.spark.internal.io.cloud.PathOutputCommitProtocol"
    conf "spark.sql.parquet.output.committer.class=org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter"
  fi
  local provider=""
  case "$(s3_credentials_mode)" in
    env | secret) provider="$CREDENTIAL_PROVIDER_ENV" ;;
    irsa) provider="$CREDENTIAL_PROVIDER_IRSA" ;;
    instance) provider="$CREDENTIAL_PROVIDER_INSTANCE" ;;
    none) ;;
    *) die "S3_CREDENTIALS must be env, secret, irsa, instance or none, got '${S3_CREDENTIALS:-}'" ;;
  esac
  if [[ -n "$provider" ]]; then
    conf "spark.hadoop.fs.s3a.aws.credentials.provider=$provider"
  fi
}

# GPU settings Spark itself needs; the cluster manager adds its own (vendor, files).
gpu_confs() {
  local driver_script="$1" executor_script="$2"
  conf "spark.driver.resource.gpu.amount=1"
  conf "spark.driver.resource.gpu.discoveryScript=$driver_script"
  conf "spark.executor.resource.gpu.amount=${SPARK_LLM_EXECUTOR_GPUS:-1}"
  conf "spark.executor.resource.gpu.discoveryScript=$executor_script"
  conf "spark.task.resource.gpu.amount=1"
}

# PyTorch CUDA natives from a local libtorch instead of the bundled CPU build (deploy/README.md).
pytorch_env() {
  local driver_prefix="$1" name
  for name in PYTORCH_LIBRARY_PATH PYTORCH_VERSION PYTORCH_FLAVOR; do
    if [[ -n "${!name:-}" ]]; then
      conf "$driver_prefix$name=${!name}"
      conf "spark.executorEnv.$name=${!name}"
    fi
  done
}

finish_command() {
  local jar="$1"
  local c
  for c in "${EXTRA_CONF[@]}"; do
    conf "$c"
  done
  SUBMIT+=(--class "$MAIN_CLASS" "$jar" "$COMMAND" "${APP_ARGS[@]}")
}

# One option (with its value) per line, shell-quoted, as a runnable command.
print_command() {
  local -a args=("$(spark_submit_bin)" "${SUBMIT[@]}")
  local i=0 n=${#args[@]} line
  while ((i < n)); do
    printf -v line '%q' "${args[i]}"
    if [[ "${args[i]}" == -* ]] && ((i + 1 < n)) && [[ "${args[i + 1]}" != -* ]]; then
      printf -v line '%s %q' "$line" "${args[i + 1]}"
      i=$((i + 1))
    fi
    i=$((i + 1))
    if ((i < n)); then
      printf '%s \\\n  ' "$line"
    else
      printf '%s\n' "$line"
    fi
  done
}

spark_submit_bin() {
  if [[ -n "${SPARK_SUBMIT:-}" ]]; then
    echo "$SPARK_SUBMIT"
  elif [[ -n "${SPARK_HOME:-}" ]]; then
    echo "$SPARK_HOME/bin/spark-submit"
  else
    echo spark-submit
  fi
}

# Not exec: the YARN script removes its private credentials file when spark-submit returns.
run_or_print() {
  if [[ "$DRY_RUN" == true ]]; then
    print_command
    return 0
  fi
  "$(spark_submit_bin)" "${SUBMIT[@]}"
}
