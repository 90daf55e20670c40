#!/usr/bin/env bash
# spark-submit wrapper for Kubernetes: deploy/submit-k8s.sh [--dry-run] [--deploy-mode
# cluster|client] [--gpu] [--replicas N] [--conf k=v]... <command> [command args...]. Needs K8S_API
# and the image built from deploy/k8s/Dockerfile (SPARK_LLM_IMAGE); see deploy/README.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib/submit-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/submit-common.sh"

# secret when S3_SECRET_NAME names a Kubernetes secret with the keys, else none (Hadoop's default
# chain); irsa for EKS service-account roles.
s3_credentials_mode() {
  if [[ -n "${S3_CREDENTIALS:-}" ]]; then
    echo "$S3_CREDENTIALS"
  elif [[ -n "${S3_SECRET_NAME:-}" ]]; then
    echo secret
  else
    echo none
  fi
}

# Pods read the keys from a Kubernetes secret: the command carries only secret:key references.
secret_confs() {
  local secret="${S3_SECRET_NAME:-spark-llm-s3}" name
  for name in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
    conf "spark.kubernetes.driver.secretKeyRef.$name=$secret:$name"
    conf "spark.kubernetes.executor.secretKeyRef.$name=$secret:$name"
  done
}

main() {
  parse_args "$@"
  [[ -n "${K8S_API:-}" ]] || die "set K8S_API to the API server, e.g. https://k8s.example.com:6443"
  local image="${SPARK_LLM_IMAGE:-spark-llm:0.1.0}"
  # The jar inside the image (deploy/k8s/Dockerfile).
  local jar="${SPARK_LLM_JAR:-local:///opt/spark-llm/spark-llm-jobs.jar}"
  SUBMIT=(
    --master "k8s://$K8S_API"
    --deploy-mode "$DEPLOY_MODE"
    --name "${SPARK_LLM_APP_NAME:-spark-llm-$COMMAND}"
  )
  sizing_confs
  conf "spark.kubernetes.container.image=$image"
  conf "spark.kubernetes.namespace=${K8S_NAMESPACE:-spark-llm}"
  conf "spark.kubernetes.authenticate.driver.serviceAccountName=${K8S_SERVICE_ACCOUNT:-spark-llm}"
  if [[ "$(s3_credentials_mode)" == secret ]]; then
    secret_confs
  fi
  common_confs
  pytorch_env "spark.kubernetes.driverEnv."
  if [[ "$GPU" == true ]]; then
    # The image holds the script; a client-mode driver runs here and uses the local copy. The
    # vendor makes Spark ask Kubernetes for nvidia.com/gpu on the pods (driver pod: cluster mode).
    local in_image="/opt/spark-llm/gpu/getGpusResources.sh"
    local driver_script="$in_image" driver_vendor=nvidia.com
    if [[ "$DEPLOY_MODE" == client ]]; then
      driver_script="$DEPLOY_DIR/gpu/getGpusResources.sh"
      driver_vendor=""
    fi
    gpu_confs "$driver_script" "$in_image" nvidia.com "$driver_vendor"
  fi
  finish_command "$jar"
  run_or_print
}

main "$@"
