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
# --replicas as given to the script, and the count in effect (0: train's single replica on the
# driver) once resolve_replicas has also read the job's own arguments.
SCRIPT_REPLICAS=""
REPLICAS=0
COMMAND=""
EXTRA_CONF=()
APP_ARGS=()
SUBMIT=()

usage() {
  cat <<EOF
Usage: $(basename "$0") [--dry-run] [--deploy-mode cluster|client] [--gpu] [--replicas N] [--conf spark.k=v]... <command> [command args...]

Commands: $COMMANDS (see bin/spark-llm <command> --help for their arguments).

  --dry-run       print the spark-submit command (one option per line, shell-quoted) and exit
  --deploy-mode   cluster (default) or client
  --replicas N    train/pipeline: N data-parallel replicas in one barrier stage, so N executors
                  running one replica task each (spark.task.cpus = executor cores); passed on
                  to the job as --replicas N (pipeline: --set training.distributed.replicas=N).
                  Also read from train's own --replicas N / --set training.distributed.replicas=N
  --gpu           request GPUs: with replicas, one per executor (one replica per GPU) and none
                  for the driver; train without replicas runs its single replica on the driver,
                  which then gets the GPU; other commands get SPARK_LLM_EXECUTOR_GPUS per executor
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
      --replicas)
        (($# >= 2)) || die "--replicas needs a number"
        SCRIPT_REPLICAS="$2"
        shift
        ;;
      --replicas=*) SCRIPT_REPLICAS="${1#*=}" ;;
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
  resolve_replicas
}

trains() {
  [[ "$COMMAND" == train || "$COMMAND" == pipeline ]]
}

# The replica count the job arguments name, if any: train's --replicas N, or
# --set training.distributed.replicas=N (which beats --replicas in the job, as here).
job_replicas() {
  local i=0 n=${#APP_ARGS[@]} flag="" from_set=""
  while ((i < n)); do
    case "${APP_ARGS[i]}" in
      --replicas)
        if ((i + 1 < n)); then
          flag="${APP_ARGS[i + 1]}"
          i=$((i + 1))
        fi
        ;;
      --replicas=*) flag="${APP_ARGS[i]#*=}" ;;
      --set)
        if ((i + 1 < n)); then
          if [[ "${APP_ARGS[i + 1]}" == training.distributed.replicas=* ]]; then
            from_set="${APP_ARGS[i + 1]#*=}"
          fi
          i=$((i + 1))
        fi
        ;;
      --set=training.distributed.replicas=*) from_set="${APP_ARGS[i]#*replicas=}" ;;
    esac
    i=$((i + 1))
  done
  if [[ "$COMMAND" != train ]]; then
    flag=""
  fi
  echo "${from_set:-$flag}"
}

# The executors, GPUs and barrier settings follow from the replica count, so the script must know
# it: from its own --replicas (handed on to the job) or from the job's arguments. A count set only
# in the YAML config is invisible here; give the script --replicas too.
resolve_replicas() {
  local from_job=""
  if trains; then
    from_job="$(job_replicas)"
    [[ -z "$from_job" || "$from_job" =~ ^[0-9]+$ ]] \
      || die "the job's replica count must be a number, got '$from_job'"
  fi
  if [[ -n "$SCRIPT_REPLICAS" ]]; then
    trains || die "--replicas applies to train and pipeline, not $COMMAND"
    [[ "$SCRIPT_REPLICAS" =~ ^[1-9][0-9]*$ ]] \
      || die "--replicas needs a count of 1 or more, got '$SCRIPT_REPLICAS'"
    REPLICAS=$((10#$SCRIPT_REPLICAS))
    if [[ -n "$from_job" ]]; then
      ((10#$from_job == REPLICAS)) \
        || die "--replicas $REPLICAS disagrees with the job's own replica count $from_job"
    elif [[ "$COMMAND" == train ]]; then
      APP_ARGS+=(--replicas "$REPLICAS")
    else
      APP_ARGS+=(--set "training.distributed.replicas=$REPLICAS")
    fi
  elif [[ -n "$from_job" ]]; then
    REPLICAS=$((10#$from_job))
  fi
}

# Executors, cores and memory. As --conf entries rather than --num-executors and friends, so that
# a --conf given to the script can still override them (spark-submit's own flags would win).
sizing_confs() {
  local cores="${SPARK_LLM_EXECUTOR_CORES:-2}"
  if ((REPLICAS > 0)); then
    # A barrier stage starts all its tasks at once; task.cpus = executor cores leaves exactly one
    # task slot per executor, so each replica gets its own executor (and GPU).
    conf "spark.executor.instances=$REPLICAS"
    conf "spark.executor.cores=$cores"
    conf "spark.task.cpus=$cores"
  else
    conf "spark.executor.instances=${SPARK_LLM_NUM_EXECUTORS:-2}"
    conf "spark.executor.cores=$cores"
  fi
  conf "spark.executor.memory=${SPARK_LLM_EXECUTOR_MEMORY:-4g}"
  conf "spark.driver.memory=${SPARK_LLM_DRIVER_MEMORY:-4g}"
}

conf() {
  SUBMIT+=(--conf "$1")
}

# Settings that do not depend on the cluster manager.
common_confs() {
  local java_opts="-Dai.djl.offline=true${SPARK_LLM_JAVA_OPTS:+ $SPARK_LLM_JAVA_OPTS}"
  conf "spark.driver.extraJavaOptions=$java_opts"
  conf "spark.executor.extraJavaOptions=$java_opts"
  # glibc malloc on the executors, as bin/spark-llm sets it locally: a training step's large
  # temporaries stay in the heap instead of being mmapped and page-faulted in every step.
  conf "spark.executorEnv.MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-33554432}"
  conf "spark.executorEnv.MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-4294967296}"
  conf "spark.executorEnv.MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-268435456}"
  # pipeline contains train: it needs the same barrier-stage settings.
  if trains; then
    # The trainer's barrier stage needs all replicas at once and no duplicate attempts.
    conf "spark.dynamicAllocation.enabled=false"
    conf "spark.speculation=false"
    if ((REPLICAS > 0)); then
      replica_confs
    fi
  fi
  s3_confs
}

replica_confs() {
  local attempts="${SPARK_LLM_MAX_ATTEMPTS:-4}" failures="${SPARK_LLM_TASK_MAX_FAILURES:-4}"
  [[ "$attempts" =~ ^[1-9][0-9]*$ ]] || die "SPARK_LLM_MAX_ATTEMPTS must be 1 or more, got '$attempts'"
  [[ "$failures" =~ ^[1-9][0-9]*$ ]] \
    || die "SPARK_LLM_TASK_MAX_FAILURES must be 1 or more, got '$failures'"
  # Attempts of the whole barrier stage after a replica fails (each resumes from
  # checkpoints/latest); task retries count only for the ordinary stages around it.
  conf "spark.stage.maxConsecutiveAttempts=$attempts"
  conf "spark.task.maxFailures=$failures"
  # The job counts task slots when it starts: wait for every executor (GPU pods can take minutes)
  # instead of Spark's default 80% or 30 s.
  conf "spark.scheduler.minRegisteredResourcesRatio=1.0"
  conf "spark.scheduler.maxRegisteredResourcesWaitingTime=${SPARK_LLM_EXECUTOR_WAIT:-10min}"
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

# The driver computes with the model for generate and for train's single replica (also inside
# pipeline); with replicas it only averages gradients and needs no GPU.
driver_gpu_wanted() {
  [[ "$COMMAND" == generate ]] || { trains && ((REPLICAS == 0)); }
}

# Executors compute everywhere except in generate and single-replica train.
executor_gpu_wanted() {
  ! [[ "$COMMAND" == generate || ("$COMMAND" == train && "$REPLICAS" == 0) ]]
}

# GPU settings for --gpu: gpu_confs DRIVER_SCRIPT EXECUTOR_SCRIPT [VENDOR [DRIVER_VENDOR]].
# VENDOR (Kubernetes: nvidia.com) goes to executors, DRIVER_VENDOR to a driver pod.
gpu_confs() {
  local driver_script="$1" executor_script="$2" vendor="${3:-}" driver_vendor="${4:-}"
  if driver_gpu_wanted; then
    conf "spark.driver.resource.gpu.amount=1"
    conf "spark.driver.resource.gpu.discoveryScript=$driver_script"
    if [[ -n "$driver_vendor" ]]; then
      conf "spark.driver.resource.gpu.vendor=$driver_vendor"
    fi
  fi
  if executor_gpu_wanted; then
    local per_executor="${SPARK_LLM_EXECUTOR_GPUS:-1}"
    if ((REPLICAS > 0)) && [[ "$per_executor" != 1 ]]; then
      die "with replicas every executor runs one replica on one GPU; unset SPARK_LLM_EXECUTOR_GPUS (got $per_executor)"
    fi
    conf "spark.executor.resource.gpu.amount=$per_executor"
    conf "spark.executor.resource.gpu.discoveryScript=$executor_script"
    if [[ -n "$vendor" ]]; then
      conf "spark.executor.resource.gpu.vendor=$vendor"
    fi
    conf "spark.task.resource.gpu.amount=1"
  fi
}

# PyTorch CUDA natives from a local libtorch instead of the bundled CPU build (deploy/README.md).
# DJL needs the version and flavour next to the path; they default to the build's 2.7.1 / cu128.
# With replicas the driver runs no model: a CUDA libtorch there would only fail to load on a
# driver host without the NVIDIA driver.
pytorch_env() {
  local driver_prefix="$1" name value
  [[ -n "${PYTORCH_LIBRARY_PATH:-}" ]] || return 0
  for name in PYTORCH_LIBRARY_PATH PYTORCH_VERSION PYTORCH_FLAVOR; do
    case "$name" in
      PYTORCH_VERSION) value="${PYTORCH_VERSION:-2.7.1}" ;;
      PYTORCH_FLAVOR) value="${PYTORCH_FLAVOR:-cu128}" ;;
      *) value="${!name}" ;;
    esac
    if ((REPLICAS == 0)); then
      conf "$driver_prefix$name=$value"
    fi
    conf "spark.executorEnv.$name=$value"
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

# One option (with its value) per line, shell-quoted, as a runnable command; secrets shown as
# '*****' (mask_arg).
print_command() {
  local -a args=("$(spark_submit_bin)" "${SUBMIT[@]}")
  local i=0 n=${#args[@]} line value
  while ((i < n)); do
    quote_masked "${args[i]}"
    line="$QUOTED"
    if [[ "${args[i]}" == -* ]] && ((i + 1 < n)) && [[ "${args[i + 1]}" != -* ]]; then
      quote_masked "${args[i + 1]}"
      value="$QUOTED"
      line="$line $value"
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

# The same rules as core's dev.sparkllm.core.Secrets (README.md, "Secrets"): the key
# in lower-case words split at . _ - and camelCase; secret when a word contains secret, password,
# passwd, passphrase, credential or bearer, when api/access/account/encryption/private/secret/
# signing is followed by key(s) (or joined to it), or when the last word ends in token but is no
# tokenizer special token (eos_token, ...). A key pointing at a secret is none: a word ref, or a
# last word provider(s), file, path, class or type.
is_secret_key() {
  local spaced i n w
  local -a words=()
  spaced="$(sed -E 's/([a-z0-9])([A-Z])/\1 \2/g; s/[._[:space:]-]+/ /g' <<<"$1")"
  read -r -a words <<<"${spaced,,}"
  n=${#words[@]}
  ((n > 0)) || return 1
  [[ " ${words[*]} " != *" ref "* ]] || return 1
  [[ ! "${words[n - 1]}" =~ ^(providers?|file|path|class|type)$ ]] || return 1
  for ((i = 0; i < n; i++)); do
    w="${words[i]}"
    if [[ "$w" =~ secret|password|passwd|passphrase|credential|bearer ]] \
      || [[ "$w" =~ ^(api|access|account|encryption|private|secret|signing)keys?$ ]]; then
      return 0
    fi
    if ((i > 0)) && [[ "$w" =~ ^keys?$ ]] \
      && [[ "${words[i - 1]}" =~ ^(api|access|account|encryption|private|secret|signing)$ ]]; then
      return 0
    fi
  done
  [[ "${words[n - 1]}" == *token ]] || return 1
  ! { [[ "${words[n - 1]}" == token ]] && ((n > 1)) \
    && [[ "${words[n - 2]}" =~ ^(eos|bos|pad|unk|sep|cls|mask)$ ]]; }
}

# MASKED = the argument with its secrets replaced by \001 (quote_masked prints them as '*****'):
# the value of a secret-named KEY=VALUE, secret-named name=value settings inside it
# (-Dx.password=v, --token=v, ?a=b&password=v), and URL passwords (scheme://user:PASSWORD@host).
mask_arg() {
  local rest="$1" key out="" whole before
  local assignment='(^|[[:space:]?&;,"'"'"'])(-D|--?)?([A-Za-z][A-Za-z0-9_.-]*)=([^[:space:]&;,"'"'"']*)'
  # The password class leaves out \001: a masked URL must not match again.
  local url='^(.*[A-Za-z][A-Za-z0-9+.-]*://[^/[:space:]:@]*):([^/[:space:]@'$'\001'']+)@(.*)$'
  if [[ "$rest" =~ ^([A-Za-z][A-Za-z0-9_.-]*)=(.+)$ ]]; then
    key="${BASH_REMATCH[1]}"
    if is_secret_key "$key"; then
      MASKED="$key="$'\001'
      return 0
    fi
  fi
  while [[ "$rest" =~ $assignment ]]; do
    whole="${BASH_REMATCH[0]}"
    before="${rest%%"$whole"*}"
    key="${BASH_REMATCH[3]}"
    if [[ -n "${BASH_REMATCH[4]}" ]] && is_secret_key "$key"; then
      out+="$before${whole%%"$key="*}$key="$'\001'
    else
      out+="$before$whole"
    fi
    rest="${rest#"$before$whole"}"
  done
  out+="$rest"
  while [[ "$out" =~ $url ]]; do
    out="${BASH_REMATCH[1]}:"$'\001'"@${BASH_REMATCH[3]}"
  done
  MASKED="$out"
}

# QUOTED = the argument masked and shell-quoted, each mask as '*****'.
quote_masked() {
  local rest q
  mask_arg "$1"
  rest="$MASKED"
  QUOTED=""
  while [[ "$rest" == *$'\001'* ]]; do
    if [[ -n "${rest%%$'\001'*}" ]]; then
      printf -v q '%q' "${rest%%$'\001'*}"
      QUOTED+="$q"
    fi
    QUOTED+="'*****'"
    rest="${rest#*$'\001'}"
  done
  if [[ -n "$rest" || -z "$QUOTED" ]]; then
    printf -v q '%q' "$rest"
    QUOTED+="$q"
  fi
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
