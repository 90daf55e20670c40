#!/usr/bin/env bash
# spark-submit wrapper for YARN: deploy/submit-yarn.sh [--dry-run] [--deploy-mode cluster|client]
# [--gpu] [--replicas N] [--conf k=v]... <command> [command args...]. Settings come from the
# environment; see deploy/README.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/submit-common.sh"

# env when AWS_ACCESS_KEY_ID is set (keys travel in a private properties file), else none
# (Hadoop's default chain, e.g. the node's instance role).
s3_credentials_mode() {
  if [[ -n "${S3_CREDENTIALS:-}" ]]; then
    echo "$S3_CREDENTIALS"
  elif [[ -n "${AWS_ACCESS_KEY_ID:-}" ]]; then
    echo env
  else
    echo none
  fi
}

CREDENTIALS_DIR=""
cleanup() {
  if [[ -n "$CREDENTIALS_DIR" ]]; then
    rm -rf "$CREDENTIALS_DIR"
  fi
}
trap cleanup EXIT

# YARN containers do not inherit the submitter's environment, and spark.yarn.appMasterEnv.* /
# spark.executorEnv.* take values: written to a 0600 file, not the command line (ps, shell
# history, scheduler logs). The dry run names the entries, never their values.
credentials_properties() {
  local -a names=()
  local name
  for name in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; do
    if [[ -n "${!name:-}" ]]; then
      names+=("$name")
    fi
  done
  ((${#names[@]} > 0)) || die "S3_CREDENTIALS=env but AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set"
  local file
  if [[ "$DRY_RUN" == true ]]; then
    file="<private temporary file>"
    {
      echo "# --properties-file holds (values from this shell's environment, never printed):"
      for name in "${names[@]}"; do
        echo "#   spark.yarn.appMasterEnv.$name, spark.executorEnv.$name"
      done
    } >&2
  else
    CREDENTIALS_DIR="$(mktemp -d "${TMPDIR:-/tmp}/spark-llm-submit.XXXXXX")"
    chmod 700 "$CREDENTIALS_DIR"
    file="$CREDENTIALS_DIR/credentials.properties"
    (
      umask 077
      for name in "${names[@]}"; do
        printf 'spark.yarn.appMasterEnv.%s=%s\n' "$name" "${!name}"
        printf 'spark.executorEnv.%s=%s\n' "$name" "${!name}"
      done >"$file"
    )
  fi
  # Without --load-spark-defaults a properties file replaces the cluster's spark-defaults.conf.
  SUBMIT+=(--properties-file "$file" --load-spark-defaults)
}

main() {
  parse_args "$@"
  local jar="${SPARK_LLM_JAR:-$REPO_DIR/jobs/target/spark-llm-jobs-0.1.0-SNAPSHOT-spark-submit.jar}"
  SUBMIT=(
    --master yarn
    --deploy-mode "$DEPLOY_MODE"
    --name "${SPARK_LLM_APP_NAME:-spark-llm-$COMMAND}"
  )
  if [[ -n "${SPARK_LLM_QUEUE:-}" ]]; then
    SUBMIT+=(--queue "$SPARK_LLM_QUEUE")
  fi
  # hadoop-aws, the AWS SDK and spark-hadoop-cloud when the cluster does not provide them.
  if [[ -n "${SPARK_LLM_EXTRA_JARS:-}" ]]; then
    SUBMIT+=(--jars "$SPARK_LLM_EXTRA_JARS")
  fi
  if [[ "$(s3_credentials_mode)" == env ]]; then
    credentials_properties
  fi
  sizing_confs
  common_confs
  pytorch_env "spark.yarn.appMasterEnv."
  if [[ "$GPU" == true ]]; then
    local script="$DEPLOY_DIR/gpu/getGpusResources.sh"
    # --files puts the script in every YARN container's working directory; a client-mode driver
    # runs here and uses the local copy. YARN maps resource "gpu" to yarn.io/gpu by itself.
    SUBMIT+=(--files "$script")
    local driver_script="./getGpusResources.sh"
    if [[ "$DEPLOY_MODE" == client ]]; then
      driver_script="$script"
    fi
    gpu_confs "$driver_script" "./getGpusResources.sh"
  fi
  finish_command "$jar"
  run_or_print
}

main "$@"
